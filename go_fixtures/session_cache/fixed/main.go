// Calibration twin, expect clean: a session cache that fills and then stays flat. remember
// renders a 512-byte entry for a key it has not seen and keeps it; every request brings a new key
// (the request's sequence number, standing in for ever-new session IDs), so the cache grows by one
// entry per request until it holds $CACHE_CAPACITY entries, then each new entry evicts the oldest
// and the live heap is flat. The scenarios set the capacity as a deployment would: 1,000
// (cache_midrun: full in the middle of the default measured run) and 5,000 (cache_late: full only
// after the default 2,200 requests, so only the extension sees it stop).
// Leaky twin (../leaky): the same cache without the cap.
package main

import (
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const entrySize = 512

// capacity is the cache's size in entries, from $CACHE_CAPACITY (default 1,000); with one new key
// per request it is full after that many requests.
var capacity = capacityFromEnv()

func capacityFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv("CACHE_CAPACITY")); err == nil && n > 0 {
		return n
	}
	return 1000
}

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
	server.Run("session_cache/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
