// Fault fixture: a broken heap profile endpoint. The service itself is healthy, but
// /debug/pprof/heap answers, depending on $FAULT_MODE:
//
//	html    an HTML page with status 200 (a proxy's login page, a framework's 404 page)
//	garbage 200 with bytes that are not a gzipped profile
//	hang    nothing at all until the client gives up
//
// The harness must fail the capture with an error naming the URL, within its capture timeout.
package main

import (
	"net/http"
	"os"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func brokenHeap(w http.ResponseWriter, r *http.Request) {
	switch os.Getenv("FAULT_MODE") {
	case "html":
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><html><body><h1>Please sign in</h1></body></html>\n"))
	case "hang":
		<-r.Context().Done() // the client's timeout ends it
	default:
		_, _ = w.Write([]byte("this is not a profile \x00\x01\x02\x03"))
	}
}

func main() {
	server.Run("faults/badprofile", func(mux *http.ServeMux) {
		mux.HandleFunc("/debug/pprof/heap", brokenHeap) // more specific than /debug/pprof/
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	})
}
