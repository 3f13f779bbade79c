// Fixed twin of ../leaky (goroutine blocked on a channel send). handleWork still takes the
// first of two replicas' answers, but the result channel has a buffer of one, so the slower
// replica's send completes and its goroutine exits although nobody receives it.
package main

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

type result struct {
	replica int
	payload []byte
}

// lookup asks one replica (a short random delay stands in for its latency) and sends the answer.
func lookup(replica int, ch chan<- result) {
	time.Sleep(time.Duration(50+rand.IntN(200)) * time.Microsecond)
	ch <- result{replica: replica, payload: make([]byte, 1024)}
}

func handleWork(w http.ResponseWriter, _ *http.Request) {
	ch := make(chan result, 1) // the fix: room for the loser's answer
	go lookup(0, ch)
	go lookup(1, ch)
	res := <-ch // the first answer wins
	_, _ = w.Write(res.payload[:16])
}

func main() {
	server.Run("goroutine_chan/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
