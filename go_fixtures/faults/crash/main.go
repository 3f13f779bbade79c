// Fault fixture: crashes mid-run. After $CRASH_AFTER requests to /work (default 150) a
// goroutine panics, which no http.Server recovers, so the process exits with code 2 and a
// "panic:" stack on stderr. The harness must turn that into an error verdict with the exit
// code and the last log lines.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var served atomic.Int64

func main() {
	after, err := strconv.Atoi(os.Getenv("CRASH_AFTER"))
	if err != nil || after < 1 {
		after = 150
	}
	server.Run("faults/crash", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) {
			if n := served.Add(1); n == int64(after) {
				go func() { panic(fmt.Sprintf("faults/crash: deliberate crash after %d requests", n)) }()
			}
			_, _ = w.Write([]byte("ok\n"))
		})
	})
}
