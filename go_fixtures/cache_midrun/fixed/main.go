// Calibration twin, expect clean: a cache that fills during the measured run and then stays flat.
// remember renders a 512-byte entry for a key it has not seen and keeps it; every request brings
// a new key (the request's sequence number, standing in for ever-new session IDs), so the cache
// grows by one entry per request until it holds 1,000 entries (~0.5 MiB of entries), reached
// after about 1,000 requests: with the default load (200 warm-up, then 2,000 requests) that is in
// the middle of the measured window. After that each new entry evicts the oldest, and the live
// heap is flat.
// Leaky twin (../leaky): the same cache without the cap.
package main

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const (
	capacity  = 1000 // entries; with one new key per request, full after 1,000 requests
	entrySize = 512
)

var (
	seq     atomic.Uint64
	mu      sync.Mutex
	entries = map[string][]byte{}
	order   []string // keys oldest first, a ring once the cache is full
	oldest  int
)

func render(key string) []byte {
	entry := make([]byte, entrySize)
	copy(entry, key)
	return entry
}

func remember(key string) []byte {
	mu.Lock()
	defer mu.Unlock()
	if entry, ok := entries[key]; ok {
		return entry
	}
	entry := render(key)
	entries[key] = entry
	evictOldest(key) // the cap: at most capacity entries
	return entry
}

// evictOldest records key as the newest entry and, once the cache is full, drops the oldest.
func evictOldest(key string) {
	if len(order) < capacity {
		order = append(order, key)
		return
	}
	delete(entries, order[oldest])
	order[oldest] = key
	oldest = (oldest + 1) % capacity
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	entry := remember("session-" + strconv.FormatUint(seq.Add(1), 10))
	_, _ = w.Write(entry[:16])
}

func main() {
	server.Run("cache_midrun/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
