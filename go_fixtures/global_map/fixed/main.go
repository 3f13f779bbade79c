// Fixed twin of ../leaky (unbounded global map). remember still caches each request's 2 KiB
// entry under a new key, but keeps at most 256 keys in a ring and evicts the oldest, so the
// cache stops growing once the ring is full.
package main

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const capacity = 256 // the fix: the cache's bound

var (
	seq   atomic.Uint64
	mu    sync.Mutex
	cache = make(map[uint64][]byte)
	ring  [capacity]uint64 // the fix: the keys in insertion order; 0 means an empty slot
	next  int
)

func remember(key uint64) []byte {
	entry := make([]byte, 2048)
	copy(entry, strconv.FormatUint(key, 10))
	mu.Lock()
	defer mu.Unlock()
	delete(cache, ring[next]) // the fix: evict the oldest key before adding one
	ring[next], next = key, (next+1)%capacity
	cache[key] = entry
	return entry
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	entry := remember(seq.Add(1))
	_, _ = w.Write(entry[:16])
}

func main() {
	server.Run("global_map/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
