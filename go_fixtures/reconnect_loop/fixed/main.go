// Calibration twin, expect clean: a background reconnect loop that retries the upstream every
// 50 ms (it keeps failing); each attempt starts watchConn, which waits on the attempt's done
// channel, and reconnect closes the previous attempt's channel before the next one, so one
// watcher at most is alive. Same load and timing as the leak.
// Leaky twin (../leaky): the same loop without closing the previous attempt's channel.
package main

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var attempts atomic.Int64

// watchConn waits for its attempt to be replaced, then lets the attempt's resources go.
func watchConn(done <-chan struct{}) {
	<-done
}

// reconnect retries the (unreachable) upstream every 50 ms, one watcher per attempt.
func reconnect() {
	var done chan struct{}
	for range time.Tick(50 * time.Millisecond) {
		if done != nil {
			close(done) // the fix: end the previous attempt's watcher
		}
		done = make(chan struct{})
		go watchConn(done)
		attempts.Add(1)
	}
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	go reconnect()
	server.Run("reconnect_loop/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
