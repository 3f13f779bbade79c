// Fault fixture: runs out of memory. Every request to /work retains 1 MiB for good, with
// every page written so that it is resident, until the container's memory limit OOM-kills it.
// The harness must report that as a leak ("OOM-killed at <limit> after N requests").
//
// With $STALL_AT_MIB set, it stops retaining at that many MiB and its heap profile then answers
// nothing until the client gives up: what a process does when its memory fills its cgroup and
// the kernel, instead of killing it, spends minutes evicting and faulting back its code pages
// (seen in CI with this fixture's plain mode). The harness must still call it a leak ("stalled at
// its memory limit"), not a fault of the profile endpoint.
package main

import (
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var (
	mu       sync.Mutex
	retained [][]byte
	stallAt  = -1 // MiB; -1: never stall, retain until killed
)

// full: it holds $STALL_AT_MIB and stalls from now on.
func full() bool {
	mu.Lock()
	defer mu.Unlock()
	return stallAt >= 0 && len(retained) >= stallAt
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	if !full() {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 512 { // touch every page: untouched pages cost no memory
			b[i] = byte(i)
		}
		mu.Lock()
		retained = append(retained, b)
		mu.Unlock()
	}
	_, _ = w.Write([]byte("ok\n"))
}

// stalledHeap is the stock heap profile until the fixture is full, then no answer at all.
func stalledHeap(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if full() {
			<-r.Context().Done() // the client's timeout ends it
			return
		}
		next.ServeHTTP(w, r)
	}
}

func main() {
	if v, err := strconv.Atoi(os.Getenv("STALL_AT_MIB")); err == nil && v >= 0 {
		stallAt = v
	}
	server.Run("faults/oom", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
		if stallAt >= 0 {
			mux.Handle("/debug/pprof/heap", stalledHeap(pprof.Handler("heap"))) // more specific than /debug/pprof/
		}
	})
}
