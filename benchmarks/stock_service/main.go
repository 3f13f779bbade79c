// A service as a user writes it, for the benchmarks: the standard library and stock
// net/http/pprof on its own mux, nothing the harness provides. /work retains $LEAK_BYTES bytes
// per request in one allocation (0: it keeps nothing), and with $CHURN_BYTES it also allocates
// that much garbage per request. Used by benchmarks/, not by the shipped scenarios.
package main

import (
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"
)

var (
	leakBytes, _  = strconv.Atoi(os.Getenv("LEAK_BYTES"))
	churnBytes, _ = strconv.Atoi(os.Getenv("CHURN_BYTES"))
	mu            sync.Mutex
	kept          [][]byte
)

func work(w http.ResponseWriter, _ *http.Request) {
	if leakBytes > 0 {
		b := make([]byte, leakBytes)
		mu.Lock()
		kept = append(kept, b)
		mu.Unlock()
	}
	if churnBytes > 0 {
		garbage := make([]byte, churnBytes) // escapes through Write: a heap allocation, then garbage
		copy(garbage, "ok\n")
		_, _ = w.Write(garbage[:3])
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/work", work)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
