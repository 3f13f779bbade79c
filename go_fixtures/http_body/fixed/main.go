// Fixed twin of ../leaky (response body never closed). fetchStatus still reads only the
// status of the loopback upstream's response, but drains and closes the body, so the
// connection returns to the transport's idle pool and is reused.
package main

import (
	"fmt"
	"io"
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
	defer resp.Body.Close()               // the fix: free the connection ...
	_, _ = io.Copy(io.Discard, resp.Body) // ... after draining it, so it can be reused
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
	server.Run("http_body/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
