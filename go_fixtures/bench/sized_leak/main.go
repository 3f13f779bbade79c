// Benchmark fixture, leak of a chosen size: handleWork retains $LEAK_BYTES bytes per request
// in the global kept slice (one allocation each). With LEAK_BYTES=0 it allocates nothing and is
// the trivial handler the load-driver benchmark measures. Used by benchmarks/, not scenarios/.
package main

import (
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var (
	leakBytes, _ = strconv.Atoi(os.Getenv("LEAK_BYTES"))
	mu           sync.Mutex
	kept         [][]byte
)

func retain() {
	b := make([]byte, leakBytes)
	mu.Lock()
	kept = append(kept, b)
	mu.Unlock()
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	if leakBytes > 0 {
		retain()
	}
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	server.Run("bench/sized_leak", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
