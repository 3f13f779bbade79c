// Leak: a per-request closure captures a large per-request object and a long-lived registry
// keeps it. handleWork builds an 8 KiB report, then registers an onReload hook whose closure
// captures the report; the hook is never deregistered, so the registry retains one closure
// and one 8 KiB report per request.
// Fix (../fixed): handleWork defers the deregistration the registry hands back.
package main

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

// hooks is a long-lived registry of callbacks, e.g. run when the configuration reloads.
type hooks struct {
	mu   sync.Mutex
	next int
	fns  map[int]func()
}

// add registers fn and returns the function that removes it again.
func (h *hooks) add(fn func()) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	id := h.next
	h.fns[id] = fn
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.fns, id)
	}
}

var onReload = &hooks{fns: make(map[int]func())}

func handleWork(w http.ResponseWriter, r *http.Request) {
	report := make([]byte, 8<<10)
	n := copy(report, r.URL.Path)
	onReload.add(func() { fmt.Printf("reload during a request with a %d-byte report\n", len(report)) })
	_, _ = fmt.Fprintf(w, "report: %d bytes, %d used\n", len(report), n)
}

func main() {
	server.Run("closure_capture/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
