// Package server is the HTTP scaffolding every fixture shares: the stock net/http/pprof
// handlers, a health endpoint, expvar's stock handler and graceful shutdown. Nothing here is
// private to the harness: a user's service that imports net/http/pprof offers the same, so the
// fixtures are judged on the path users get (heap figures from /debug/pprof/heap?gc=1&debug=1,
// the sampling rate from GODEBUG=memprofilerate, requests counted by the load driver).
package server

import (
	"context"
	"errors"
	"expvar"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"
)

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
	// For people and tests/data/profiles/regen.py: the harness finds the port by the process's sockets.
	log.Printf("%s: listening on %s", name, ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

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
