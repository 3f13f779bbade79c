// Fixed twin of ../leaky (an unbuffered result channel abandoned on cancellation), and a trap:
// the channel has room for the one result, so when the client cancels first, search still
// finishes its send and ends, up to 20 ms after the request did: cancelled requests leave
// goroutines that end a little later, and nothing that stays.
package main

import (
	"context"
	"net/http"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const resultSize = 8 << 10

// search stands for a slow backend query: 20 ms, then an 8 KiB result.
func search(q string, results chan<- []byte) {
	time.Sleep(20 * time.Millisecond)
	result := make([]byte, resultSize)
	copy(result, q)
	results <- result
}

func lookup(ctx context.Context, q string) ([]byte, error) {
	results := make(chan []byte, 1) // the fix: search can always deliver, and end
	go search(q, results)
	select {
	case r := <-results:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func handleSearch(w http.ResponseWriter, r *http.Request) {
	result, err := lookup(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		return // the client is gone: nobody to answer
	}
	_, _ = w.Write(result[:32])
}

func main() {
	server.Run("abandoned_result/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/search", handleSearch)
	})
}
