// batch_dedup: an event ingester that drops duplicate event ids within a batch. Ids go into a set
// (8 B each, no new object per event) that is replaced by an empty one when the batch of 1,500
// events is flushed, so the set grows and is then cleared, again and again.
package main

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
)

const batch = 1500

var ingest struct {
	sync.Mutex
	ids  map[uint64]struct{}
	next uint64
	n    int
}

func accept() bool {
	ingest.Lock()
	defer ingest.Unlock()
	ingest.next++ // stands in for the event's id
	if _, dup := ingest.ids[ingest.next]; dup {
		return false
	}
	ingest.ids[ingest.next] = struct{}{}
	ingest.n++
	if ingest.n == batch { // flush: a fresh set for the next batch
		ingest.ids = make(map[uint64]struct{})
		ingest.n = 0
	}
	return true
}

func main() {
	ingest.ids = make(map[uint64]struct{})
	http.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		if !accept() {
			w.WriteHeader(http.StatusConflict)
			return
		}
		w.Write([]byte("accepted\n"))
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
