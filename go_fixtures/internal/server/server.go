// Package server is the HTTP scaffolding every fixture shares: net/http/pprof, a health
// endpoint, expvar (memstats plus a request counter) and graceful shutdown. A fixture only
// registers its own handlers; everything the harness observes is served from here.
package server

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// requestsServed counts requests outside /debug/ and /healthz, so the harness can relate
// growth to work done even when its own load driver lost count (retries, timeouts).
var requestsServed = expvar.NewInt("requests_served")

// The sampling rate must be set before the program allocates much, so it is read in a
// package-level initialiser, which runs before any fixture's main.
var _ = setMemProfileRate()

func setMemProfileRate() bool {
	if v := os.Getenv("GOLEAK_MEMPROFILERATE"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			runtime.MemProfileRate = n
		}
	}
	return true
}

// Addr is where the fixture listens: $PORT on every interface (default 8080), or
// $GOLEAK_LISTEN verbatim when the harness needs a specific address such as 127.0.0.1:0.
func Addr() string {
	if a := os.Getenv("GOLEAK_LISTEN"); a != "" {
		return a
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	return ":" + port
}

// Run serves the fixture's handlers plus the shared endpoints until SIGTERM or SIGINT, then
// shuts down gracefully. register adds the fixture's own routes.
func Run(name string, register func(mux *http.ServeMux)) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/goleak/gc", gcFigures)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	register(mux)

	ln, err := net.Listen("tcp", Addr())
	if err != nil {
		log.Fatalf("%s: listen: %v", name, err)
	}
	// The harness reads this line to learn an ephemeral port (GOLEAK_LISTEN=127.0.0.1:0).
	log.Printf("%s: listening on %s", name, ln.Addr())
	srv := &http.Server{Handler: countRequests(mux), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("%s: serve: %v", name, err)
		}
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		log.Printf("%s: shut down", name)
	}
}

// gcFigures collects garbage and reads memstats at once, so HeapAlloc and HeapObjects are the
// live heap. Read after /debug/pprof/heap?gc=1 instead, they would also count that profile's
// own encoding (megabytes, growing with every new profile bucket), which looks like a leak.
func gcFigures(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"HeapAlloc":%d,"HeapObjects":%d,"HeapInuse":%d,"NumGC":%d,"StackInuse":%d,"Sys":%d}`+"\n",
		m.HeapAlloc, m.HeapObjects, m.HeapInuse, m.NumGC, m.StackInuse, m.Sys)
}

func countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/debug/") && r.URL.Path != "/healthz" {
			requestsServed.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}
