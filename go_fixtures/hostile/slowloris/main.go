// Hostile service: /slowz (its scenario's health path) sends its status and headers at once, then one byte a second for
// ever. A client with only a per-read timeout never gives up; the harness's health timeout must
// bound the whole request.
package main

import (
	"net/http"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func drip(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	for {
		if _, err := w.Write([]byte("o")); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func main() {
	server.Run("hostile/slowloris", func(mux *http.ServeMux) {
		mux.HandleFunc("/slowz", drip)
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	})
}
