// Leak: a result channel abandoned on cancellation. handleSearch runs the query in a goroutine
// (search) and waits for its result or for the client to give up; the channel is unbuffered, so
// when the client cancels first, search blocks for ever on its send, holding its goroutine and
// its 8 KiB result. A load that never cancels never leaks: only load.abort reaches it.
// Fix (../fixed): the channel has room for the one result, so search always finishes.
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
	results := make(chan []byte)
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
	server.Run("abandoned_result/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/search", handleSearch)
	})
}
