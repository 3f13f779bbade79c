// Fault fixture: runs out of memory. Every request to /work retains 1 MiB for good, with
// every page written so that it is resident, until the container's memory limit OOM-kills it.
// The harness must report that as a leak ("OOM-killed at <limit> after N requests").
package main

import (
	"net/http"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var (
	mu       sync.Mutex
	retained [][]byte
)

func handleWork(w http.ResponseWriter, _ *http.Request) {
	b := make([]byte, 1<<20)
	for i := 0; i < len(b); i += 512 { // touch every page: untouched pages cost no memory
		b[i] = byte(i)
	}
	mu.Lock()
	retained = append(retained, b)
	mu.Unlock()
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	server.Run("faults/oom", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
