// A service as most are written: it listens on $PORT and prints nothing while it serves, so the
// harness can only find it by its sockets. /work answers 200 while its environment is what the local
// runtime promises (GREETING from the scenario, no GOLEAK_TEST_MARKER from pytest's own
// environment), else 418 naming what is wrong. tests/integration/test_local_runtime.py
// runs it; with ADMIN_PORT set, pprof moves to a second listener there.
package main

import (
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
)

func wrongEnv() string {
	var wrong []string
	if _, ok := os.LookupEnv("GOLEAK_TEST_MARKER"); ok {
		wrong = append(wrong, "GOLEAK_TEST_MARKER reached the service")
	}
	if os.Getenv("GREETING") != "hi" {
		wrong = append(wrong, "GREETING from the scenario is missing")
	}
	return strings.Join(wrong, "; ")
}

func work(w http.ResponseWriter, _ *http.Request) {
	if wrong := wrongEnv(); wrong != "" {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(wrong + "\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func profiles(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

func main() {
	api := http.NewServeMux()
	api.HandleFunc("/work", work)
	if admin := os.Getenv("ADMIN_PORT"); admin != "" {
		mux := http.NewServeMux()
		profiles(mux)
		go func() { _ = http.ListenAndServe(":"+admin, mux) }()
	} else {
		profiles(api)
	}
	log.Fatal(http.ListenAndServe(":"+os.Getenv("PORT"), api)) // its only line: why it could not serve
}
