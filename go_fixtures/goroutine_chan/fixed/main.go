// Fixed twin of ../leaky (goroutine blocked on a channel send). handleWork still gives up on
// a slow worker after a short deadline, but the result channel has a buffer of one, so the
// worker's send completes and the goroutine exits even when nobody receives.
package main

import (
	"net/http"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

type result struct {
	payload []byte
}

func lookup(ch chan<- result) {
	time.Sleep(3 * time.Millisecond) // slower than the handler is willing to wait
	ch <- result{payload: make([]byte, 1024)}
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	ch := make(chan result, 1) // the fix: the send never blocks
	go lookup(ch)
	select {
	case res := <-ch:
		_, _ = w.Write(res.payload[:16])
	case <-time.After(time.Millisecond):
		http.Error(w, "timed out", http.StatusGatewayTimeout)
	}
}

func main() {
	server.Run("goroutine_chan/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
