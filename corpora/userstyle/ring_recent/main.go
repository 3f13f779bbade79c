// ring_recent: an API gateway stub that remembers the last 5,000 requests it served, for a
// "recent requests" debugging page.
package main

import (
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

const keep = 5000

type record struct {
	at     time.Time
	method string
	path   string
	query  string
	note   [256]byte
}

var recent struct {
	sync.Mutex
	ring [keep]*record
	next int
	seen int
}

func remember(r *http.Request) {
	rec := &record{at: time.Now(), method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}
	copy(rec.note[:], r.UserAgent())
	recent.Lock()
	recent.ring[recent.next] = rec // overwrites the oldest once the ring is full
	recent.next = (recent.next + 1) % keep
	recent.seen++
	recent.Unlock()
}

func main() {
	http.HandleFunc("/api/echo", func(w http.ResponseWriter, r *http.Request) {
		remember(r)
		fmt.Fprintf(w, "echo %s\n", r.URL.RawQuery)
	})
	http.HandleFunc("/recent", func(w http.ResponseWriter, r *http.Request) {
		recent.Lock()
		defer recent.Unlock()
		fmt.Fprintf(w, "%d requests seen, last %d kept\n", recent.seen, min(recent.seen, keep))
	})
	addr := ":" + os.Getenv("PORT")
	if addr == ":" {
		addr = ":8080"
	}
	log.Fatal(http.ListenAndServe(addr, nil))
}
