// Package grpcserver is the scaffolding the gRPC fixtures share, as a real gRPC service has it:
// the service on $PORT (default 50051; $GOLEAK_LISTEN verbatim when the harness needs a specific
// address, as internal/server does) with the standard grpc.health.v1 service and server
// reflection registered, and stock net/http/pprof on a separate admin port, $ADMIN_PORT (default
// 6060). SIGTERM or SIGINT stops both gracefully.
package grpcserver

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // the admin port's /debug/pprof on http.DefaultServeMux
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// Run serves register's services until SIGTERM or SIGINT.
func Run(name string, register func(s *grpc.Server)) {
	srv := grpc.NewServer()
	register(srv)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	ln, err := net.Listen("tcp", env("GOLEAK_LISTEN", ":"+env("PORT", "50051")))
	if err != nil {
		log.Fatalf("%s: listen: %v", name, err)
	}
	admin := &http.Server{Addr: ":" + env("ADMIN_PORT", "6060"), ReadHeaderTimeout: 10 * time.Second}
	// The harness reads this line to learn an ephemeral port (GOLEAK_LISTEN=127.0.0.1:0).
	log.Printf("%s: listening on %s (gRPC), admin on %s", name, ln.Addr(), admin.Addr)

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- admin.ListenAndServe() }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("%s: serve: %v", name, err)
		}
	case <-ctx.Done():
		hs.Shutdown()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = admin.Shutdown(shutdownCtx)
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-shutdownCtx.Done():
			srv.Stop()
		}
		log.Printf("%s: shut down", name)
	}
}
