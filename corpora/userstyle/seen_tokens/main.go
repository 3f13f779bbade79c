// seen_tokens: a payments API that rejects a replayed nonce. It remembers the nonces of the last
// 4,000 requests (8 B each in a set, no new object per request), forgetting the oldest; the set
// fills only after the default run length, at 4,000 requests.
package main

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
)

const keep = 4000

var nonces struct {
	sync.Mutex
	seen  map[uint64]struct{}
	order [keep]uint64
	next  int
	count int
	last  uint64
}

func fresh() bool {
	nonces.Lock()
	defer nonces.Unlock()
	nonces.last++ // stands in for the client's nonce: a new one every request
	n := nonces.last
	if _, dup := nonces.seen[n]; dup {
		return false
	}
	if nonces.count == keep {
		delete(nonces.seen, nonces.order[nonces.next])
	} else {
		nonces.count++
	}
	nonces.seen[n] = struct{}{}
	nonces.order[nonces.next] = n
	nonces.next = (nonces.next + 1) % keep
	return true
}

func main() {
	nonces.seen = make(map[uint64]struct{})
	http.HandleFunc("/pay", func(w http.ResponseWriter, r *http.Request) {
		if !fresh() {
			http.Error(w, "replayed", http.StatusConflict)
			return
		}
		w.Write([]byte("paid\n"))
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
