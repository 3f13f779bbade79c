// Leak: the same cache as ../fixed (a calibration twin) without a cap. remember renders a
// 512-byte entry for every new key and keeps it for ever; every request brings a new key, so the
// live heap grows by one entry (~600 bytes with the key and the map's share) per request. Its
// bounded twin fills after 1,000 requests, during the measured run; this one never stops. Fix
// (../fixed): cap the cache at 1,000 entries, evicting the oldest.
package main

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const entrySize = 512

var (
	seq     atomic.Uint64
	mu      sync.Mutex
	entries = map[string][]byte{}
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
	return entry
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	entry := remember("session-" + strconv.FormatUint(seq.Add(1), 10))
	_, _ = w.Write(entry[:16])
}

func main() {
	server.Run("cache_midrun/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
