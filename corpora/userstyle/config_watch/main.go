// Command config_watch serves price quotes. Each quote registers a watcher that wants to drop
// its cached rendering when the configuration is reloaded (on SIGHUP).
package main

import (
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
)

type config struct {
	mu      sync.Mutex
	changed *sync.Cond
	version int
	margin  float64
}

func newConfig() *config {
	c := &config{margin: 0.12}
	c.changed = sync.NewCond(&c.mu)
	return c
}

func (c *config) reload() {
	c.mu.Lock()
	c.version++
	c.mu.Unlock()
	c.changed.Broadcast()
}

var (
	cfg     = newConfig()
	quotes  atomic.Int64
	dropped atomic.Int64
)

// watchForReload waits until the configuration changes, then forgets the quote's rendering.
func watchForReload(c *config, since int, quoteID string) {
	key := "quote:" + quoteID + ":v" + strconv.Itoa(since)
	c.mu.Lock()
	for c.version == since {
		c.changed.Wait()
	}
	c.mu.Unlock()
	if key != "" {
		dropped.Add(1)
	}
}

func quote(w http.ResponseWriter, r *http.Request) {
	id := strconv.FormatInt(quotes.Add(1), 10)
	cfg.mu.Lock()
	v, margin := cfg.version, cfg.margin
	cfg.mu.Unlock()
	go watchForReload(cfg, v, id)
	fmt.Fprintf(w, "quote %s: %.2f\n", id, 100*(1+margin))
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			cfg.reload()
		}
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/quote", quote)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Printf("config_watch listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
