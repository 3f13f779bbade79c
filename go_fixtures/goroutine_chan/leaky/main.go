// Leak: goroutine blocked on a channel send. handleWork starts a worker that sends its
// result on an unbuffered channel, but the handler stops waiting after a short deadline, so
// every request that times out abandons one goroutine blocked forever on `ch <- res` (state
// "chan send"), together with the 1 KiB result it holds.
// Fix (../fixed): the channel has a buffer of one, so the send completes and the worker exits.
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
	ch := make(chan result)
	go lookup(ch)
	select {
	case res := <-ch:
		_, _ = w.Write(res.payload[:16])
	case <-time.After(time.Millisecond):
		http.Error(w, "timed out", http.StatusGatewayTimeout)
	}
}

func main() {
	server.Run("goroutine_chan/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
