// Calibration twin, expect clean: latency samples kept in a bounded ring. recordLatency appends
// each request's duration (8 B, no new object per request) until the ring holds $SAMPLE_WINDOW
// samples (default 1,500: full in the middle of the default measured run), then overwrites the
// oldest, so the live heap grows exactly as the leak's does and then stays flat.
// Leaky twin (../leaky): the same slice without the bound.
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
	if len(samples) < window {
		samples = append(samples, d)
	} else {
		samples[next%window] = d // the bound: overwrite the oldest
	}
	next++
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	start := time.Now()
	_, _ = w.Write([]byte("ok\n"))
	recordLatency(time.Since(start))
}

func main() {
	server.Run("latency_samples/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
