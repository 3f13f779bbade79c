// Leak: the session cache of ../fixed (a calibration twin) without a cap. remember renders a
// 512-byte entry for every new key and keeps it for ever; every request brings a new key, so the
// live heap grows by one entry (~600 bytes with the key and the map's share) per request and
// never stops, whatever $CACHE_CAPACITY says.
// Fix (../fixed): cap the cache at $CACHE_CAPACITY entries, evicting the oldest.
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
	server.Run("session_cache/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
