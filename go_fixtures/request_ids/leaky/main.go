// Leak: a set of request ids kept for idempotency and never cleared, about 16 B a request in a
// map[uint64]struct{} (its tables grow and split; no new object per request). rememberID adds
// every request's id to seen and nothing ever removes one.
// Fix (../fixed): rememberID keeps the last $ID_WINDOW ids (default 1,500) and forgets the oldest.
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
	order []uint64
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
	_, _, _ = window, order, next
	server.Run("request_ids/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
