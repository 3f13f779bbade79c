// Hostile service: its heap and goroutine profiles redirect to
// $HOSTILE_LISTENER, an address only the harness's host can reach (here a listener the test runs
// on the host's loopback; in the cloud, the metadata endpoint). The container cannot reach it
// itself, so any request there came from the harness following the redirect.
package main

import (
	"net/http"
	"os"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func main() {
	target := "http://" + os.Getenv("HOSTILE_LISTENER") + "/latest/meta-data/"
	away := func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) }
	server.Run("hostile/redirect", func(mux *http.ServeMux) {
		mux.HandleFunc("/debug/pprof/heap", away)
		mux.HandleFunc("/debug/pprof/goroutine", away)
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	})
}
