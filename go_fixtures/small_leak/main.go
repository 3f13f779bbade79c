// Calibration, expect leak: a leak under 64 bytes per request. record appends a pointer to a
// new 48-byte visit to the global visits slice on every request and nothing ever trims it.
// memstats see it (one more heap object per request), but a heap profile at the default
// MemProfileRate (one sample per 512 KiB allocated) almost never samples a 48-byte object,
// so naming the culprit needs a lower rate (GODEBUG=memprofilerate, which the harness sets).
// Fix (not shipped): cap the slice, or aggregate visits into counters.
package main

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

// visit is 48 bytes on 64-bit platforms: 8 + 8 + 16 + 8 + 8.
type visit struct {
	seq    uint64
	at     int64
	path   string
	status int64
	bytes  int64
}

var (
	mu     sync.Mutex
	visits []*visit
)

func record(path string, status, n int) {
	v := &visit{at: time.Now().UnixNano(), path: path, status: int64(status), bytes: int64(n)}
	mu.Lock()
	defer mu.Unlock()
	v.seq = uint64(len(visits))
	visits = append(visits, v)
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	n, _ := w.Write([]byte("ok " + strconv.Itoa(len(r.URL.Path)) + "\n"))
	record(r.URL.Path, http.StatusOK, n)
}

func main() {
	server.Run("small_leak", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
