// Leak: goroutine blocked on a channel send. handleWork asks two replicas for the same answer
// and takes whichever comes first ("first answer wins"), over an unbuffered channel. The
// handler receives once, so the slower replica's lookup blocks for ever on `ch <- res` (state
// "chan send"), together with the 1 KiB result it holds: one goroutine per request, while every
// request succeeds (200) and nothing looks wrong.
// Fix (../fixed): the channel has a buffer of one, so the loser's send completes and it exits.
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
	ch := make(chan result)
	go lookup(0, ch)
	go lookup(1, ch)
	res := <-ch // the first answer wins
	_, _ = w.Write(res.payload[:16])
}

func main() {
	server.Run("goroutine_chan/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
