// Calibration, expect clean: a cache that fills up to its cap and then stops growing.
// remember caches an 8 KiB rendering per key, but keys come from a fixed space of 200
// (request sequence number modulo 200), so the cache holds at most 200 entries (1.6 MiB),
// reached within the first 200 requests, well inside any warm-up; after that every request
// is a hit. A harness that measures before the plateau, or fits a slope across it, would
// call this a leak.
package main

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const keys = 200

var (
	seq   atomic.Uint64
	mu    sync.Mutex
	cache = make(map[uint64][]byte, keys)
)

func remember(key uint64) []byte {
	mu.Lock()
	defer mu.Unlock()
	if entry, ok := cache[key]; ok {
		return entry
	}
	entry := make([]byte, 8<<10)
	copy(entry, strconv.FormatUint(key, 10))
	cache[key] = entry
	return entry
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	entry := remember(seq.Add(1) % keys)
	_, _ = w.Write(entry[:16])
}

func main() {
	server.Run("bounded_cache", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
