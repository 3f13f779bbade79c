// Calibration twin, expect clean: a set of request ids for idempotency, bounded to the last
// $ID_WINDOW ids (default 1,500: full in the middle of the default measured run). rememberID adds
// every request's id to seen (about 16 B a request while it fills, as the leak) and, once the set
// is full, forgets the oldest id, so the live heap is flat after the fill.
// Leaky twin (../leaky): the same set, never cleared.
package main

import (
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

// window is how many recent ids a retry can repeat, from $ID_WINDOW (default 1,500).
var window = windowFromEnv()

func windowFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv("ID_WINDOW")); err == nil && n > 0 {
		return n
	}
	return 1500
}

var (
	seq   atomic.Uint64
	mu    sync.Mutex
	seen  = map[uint64]struct{}{}
	order []uint64 // the ids in seen, oldest first: a ring once the set is full
	next  int
)

// rememberID reports whether id was seen before and records it.
func rememberID(id uint64) bool {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := seen[id]; dup {
		return true
	}
	seen[id] = struct{}{}
	if len(order) < window {
		order = append(order, id)
	} else { // the bound: forget the oldest id
		delete(seen, order[next])
		order[next] = id
		next = (next + 1) % window
	}
	return false
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	if rememberID(seq.Add(1)) {
		http.Error(w, "duplicate", http.StatusConflict)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	server.Run("request_ids/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
