// Leak: an unbounded global map used as a cache. remember stores a 2 KiB entry under a new
// key on every request (the request's sequence number) and nothing ever evicts, so the map
// and every entry it holds are retained for ever.
// Fix (../fixed): remember keeps at most 256 keys in a ring and evicts the oldest one.
package main

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var (
	seq   atomic.Uint64
	mu    sync.Mutex
	cache = make(map[uint64][]byte)
)

func remember(key uint64) []byte {
	entry := make([]byte, 2048)
	copy(entry, strconv.FormatUint(key, 10))
	mu.Lock()
	defer mu.Unlock()
	cache[key] = entry
	return entry
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	entry := remember(seq.Add(1))
	_, _ = w.Write(entry[:16])
}

func main() {
	server.Run("global_map/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
