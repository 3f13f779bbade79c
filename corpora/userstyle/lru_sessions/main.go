// lru_sessions: serves per-session dashboards and keeps the most recently used renderings in
// an LRU cache of 1,000 entries.
package main

import (
	"container/list"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

type entry struct {
	key  string
	page []byte
}

type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(key string, render func() []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*entry).page
	}
	page := render()
	c.items[key] = c.order.PushFront(&entry{key: key, page: page})
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry).key)
	}
	return page
}

var (
	pages    = newLRU(1000)
	sessions atomic.Int64
)

func dashboard(w http.ResponseWriter, r *http.Request) {
	session := r.URL.Query().Get("session")
	if session == "" { // the load test has no cookies: one new visitor per request
		session = strconv.FormatInt(sessions.Add(1), 10)
	}
	page := pages.get(session, func() []byte {
		b := make([]byte, 1024)
		copy(b, fmt.Sprintf("<h1>dashboard for %s</h1>", session))
		return b
	})
	w.Write(page[:32])
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/dashboard", dashboard)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
