// Leak: latency samples appended to a slice nobody trims, 8 B a request and no new object per
// request (the slice's backing array is reallocated 1.25x at a time). recordLatency appends each
// request's duration to samples, which only ever grows: 8 B x 1,000 requests/s is 660 MiB a day.
// Fix (../fixed): recordLatency keeps the last $SAMPLE_WINDOW samples (default 1,500) in a ring.
package main

import (
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

// window is how many samples the p99 needs, from $SAMPLE_WINDOW (default 1,500).
var window = windowFromEnv()

func windowFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv("SAMPLE_WINDOW")); err == nil && n > 0 {
		return n
	}
	return 1500
}

var (
	mu      sync.Mutex
	samples []time.Duration
	next    int
)

func recordLatency(d time.Duration) {
	mu.Lock()
	defer mu.Unlock()
	samples = append(samples, d)
	next++
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	start := time.Now()
	_, _ = w.Write([]byte("ok\n"))
	recordLatency(time.Since(start))
}

func main() {
	_ = window
	server.Run("latency_samples/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
