// Fixed twin of ../leaky (closure kept by a long-lived registry). handleWork still registers
// an onReload hook whose closure captures the request's 8 KiB report, but it defers the
// deregistration, so the registry lets go of the closure when the request ends.
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
	remove := onReload.add(func() { fmt.Printf("reload during a request with a %d-byte report\n", len(report)) })
	defer remove() // the fix: the hook lives only as long as the request
	_, _ = fmt.Fprintf(w, "report: %d bytes, %d used\n", len(report), n)
}

func main() {
	server.Run("closure_capture/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
