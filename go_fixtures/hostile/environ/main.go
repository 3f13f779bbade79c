// Hostile service: a leak whose source file, as recorded in the binary and so in every profile
// it serves, is /proc/self/environ (a //line directive may name any file). A harness that reads
// the culprit's "source" from the path in the profile copies its own environment, tokens
// included, into the report. The harness must name that file, never read it.
package main

import (
	"net/http"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var (
	mu   sync.Mutex
	kept [][]byte
)

func remember() []byte {
	mu.Lock()
	defer mu.Unlock()
//line /proc/self/environ:1
	entry := make([]byte, 4096)
	kept = append(kept, entry)
	return entry
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write(remember()[:3])
}

func main() {
	server.Run("hostile/environ", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
