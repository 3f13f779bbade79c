// hit_list: a page-view counter that also answers "how many views in the last minute".
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

// hit is one page view, newest first.
type hit struct {
	at   int64
	next *hit
}

type recentHits struct {
	mu   sync.Mutex
	head *hit
	n    int
}

func (r *recentHits) add(now time.Time) {
	r.mu.Lock()
	r.head = &hit{at: now.UnixNano(), next: r.head}
	r.n++
	r.mu.Unlock()
}

func (r *recentHits) since(t time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for h := r.head; h != nil && h.at >= t.UnixNano(); h = h.next {
		n++
	}
	return n
}

// prune drops views older than the window. The janitor calls it once a minute.
func (r *recentHits) prune(window time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cut := time.Now().Add(-window).UnixNano()
	for h := r.head; h != nil; h = h.next {
		if h.next != nil && h.next.at < cut {
			h.next = nil
		}
	}
}

var views recentHits

func main() {
	http.HandleFunc("/view", func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		views.add(now)
		fmt.Fprintf(w, "%d views in the last second\n", views.since(now.Add(-time.Second)))
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
