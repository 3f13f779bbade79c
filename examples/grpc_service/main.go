// Command inventory serves the Inventory gRPC API: item look-ups and a stream of stock levels.
// It is a plain grpc-go service: the standard health service and server reflection on the API
// port ($INVENTORY_PORT, default 9090), net/http/pprof on an admin port ($INVENTORY_ADMIN_PORT,
// default 6060), and a bearer token ($INVENTORY_TOKEN) required on every call but health's.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"example.com/inventory/inventorypb"
)

// stock holds every item's level; a change wakes the watchers by closing the current channel.
type stock struct {
	mu      sync.Mutex
	levels  map[string]int64
	version int64
	changed chan struct{}
}

func newStock() *stock { return &stock{levels: map[string]int64{}, changed: make(chan struct{})} }

func (s *stock) get(sku string) (int64, int64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	level, ok := s.levels[sku]
	if !ok {
		level = 100
	}
	return level, s.version, s.changed
}

// restock runs in the background: every tick one item's level moves.
func (s *stock) restock(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for n := int64(0); ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		sku := fmt.Sprintf("sku-%d", n%500)
		s.levels[sku] = 50 + n%100
		s.version++
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

type inventory struct {
	inventorypb.UnimplementedInventoryServer
	stock *stock
}

func (inv *inventory) GetItem(_ context.Context, req *inventorypb.GetItemRequest) (*inventorypb.Item, error) {
	if req.GetSku() == "" {
		return nil, status.Error(codes.InvalidArgument, "sku is required")
	}
	return &inventorypb.Item{Sku: req.GetSku(), Name: "widget " + req.GetSku(), PriceCents: 1990}, nil
}

func (inv *inventory) WatchStock(req *inventorypb.WatchStockRequest, stream grpc.ServerStreamingServer[inventorypb.StockLevel]) error {
	for {
		level, version, changed := inv.stock.get(req.GetSku())
		if err := stream.Send(&inventorypb.StockLevel{Sku: req.GetSku(), Available: level, Version: version}); err != nil {
			return err
		}
		select {
		case <-changed:
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
}

// authorize checks the bearer token on every call but the health service's.
func authorize(token string) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := check(ss.Context(), token, info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

func authorizeUnary(token string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := check(ctx, token, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func check(ctx context.Context, token, method string) error {
	if !strings.HasPrefix(method, "/inventory.") {
		return nil // health, reflection
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if got := md.Get("authorization"); len(got) == 0 || got[0] != "Bearer "+token {
		return status.Error(codes.Unauthenticated, "missing or wrong bearer token")
	}
	return nil
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	token := env("INVENTORY_TOKEN", "dev-token")
	st := newStock()
	go st.restock(ctx, 5*time.Millisecond)

	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(authorizeUnary(token)), grpc.ChainStreamInterceptor(authorize(token)))
	inventorypb.RegisterInventoryServer(srv, &inventory{stock: st})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	ln, err := net.Listen("tcp", ":"+env("INVENTORY_PORT", "9090"))
	if err != nil {
		log.Fatal(err)
	}
	admin := &http.Server{Addr: ":" + env("INVENTORY_ADMIN_PORT", "6060"), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := admin.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	go func() {
		<-ctx.Done()
		hs.Shutdown()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = admin.Shutdown(shutdown)
		srv.GracefulStop()
	}()
	log.Printf("inventory: gRPC on %s, admin on %s", ln.Addr(), admin.Addr)
	if err := srv.Serve(ln); err != nil {
		log.Fatal(err)
	}
}
