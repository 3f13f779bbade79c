// Leak: a background reconnect loop that leaks one goroutine every 50 ms, whatever the traffic
// (1,200 a minute). reconnect retries the upstream every 50 ms (a dial that keeps failing) and each
// attempt starts watchConn, which waits on the attempt's done channel; nothing ever closes it, so
// every watcher blocks for ever. It grows with wall time, not with requests.
// Fix (../fixed): reconnect closes the previous attempt's done channel, ending its watcher.
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
		_ = done // the previous attempt is forgotten, its watcher still waiting
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
	server.Run("reconnect_loop/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
