// Leak: an HTTP client response body never closed. handleWork calls fetchStatus, which GETs
// an upstream on loopback (started in this process by internal/upstream) and returns after
// reading only the status, without draining or closing resp.Body. The transport cannot
// reuse or free the connection, so every request leaves a persistConn with its readLoop and
// writeLoop goroutines and a socket (plus the upstream's serving goroutine and its socket).
// Fix (../fixed): fetchStatus drains and closes the body, so the connection goes back to the
// idle pool and is reused.
package main

import (
	"fmt"
	"net/http"

	"github.com/pytest-goleak/go_fixtures/internal/server"
	"github.com/pytest-goleak/go_fixtures/internal/upstream"
)

var backend string

// fetchStatus uses http.Get: no deadline and no request context. Either would tear the
// connection down when it fires (the handler's context is cancelled as soon as it returns),
// which hides the leak; the common form of the bug has neither.
func fetchStatus() (int, error) {
	resp, err := http.Get(backend + "/status")
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	status, err := fetchStatus()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_, _ = fmt.Fprintf(w, "upstream: %d\n", status)
}

func main() {
	backend = upstream.Start(upstream.Payload(16 << 10))
	server.Run("http_body/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
