// A service as a user writes it, for the benchmarks: the standard library and stock
// net/http/pprof on its own mux, nothing the harness provides. /work retains $LEAK_BYTES bytes
// per request in one allocation (0: it keeps nothing), and with $CHURN_BYTES it also allocates
// that much garbage per request. $BULK_BYTES appends that many bytes a request to one slice (a
// bulk leak: no new object per request); with $BULK_CAP (bytes) the slice stops growing there and
// is overwritten as a ring (a bounded fill of the same size). Used by benchmarks/, not by the
// shipped scenarios.
package main

import (
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"
)

var (
	leakBytes, _  = strconv.Atoi(os.Getenv("LEAK_BYTES"))
	churnBytes, _ = strconv.Atoi(os.Getenv("CHURN_BYTES"))
	bulkBytes, _  = strconv.Atoi(os.Getenv("BULK_BYTES"))
	bulkCap, _    = strconv.Atoi(os.Getenv("BULK_CAP"))
	mu            sync.Mutex
	kept          [][]byte
	bulk          []byte
	bulkNext      int
)

// keepBulk appends n bytes to bulk, or overwrites the oldest once bulk holds bulkCap bytes.
func keepBulk(n int) {
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i < n; i++ {
		if bulkCap > 0 && len(bulk) >= bulkCap {
			bulk[bulkNext%bulkCap] = byte(i)
			bulkNext++
			continue
		}
		bulk = append(bulk, byte(i))
	}
}

func work(w http.ResponseWriter, _ *http.Request) {
	if bulkBytes > 0 {
		keepBulk(bulkBytes)
	}
	if leakBytes > 0 {
		b := make([]byte, leakBytes)
		mu.Lock()
		kept = append(kept, b)
		mu.Unlock()
	}
	if churnBytes > 0 {
		garbage := make([]byte, churnBytes) // escapes through Write: a heap allocation, then garbage
		copy(garbage, "ok\n")
		_, _ = w.Write(garbage[:3])
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/work", work)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
