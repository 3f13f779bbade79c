// Command orders is a small stand-in for a user's own Go service, as pytest-goleak meets it:
// plain net/http, no harness code. The API listens on $ORDERS_PORT; net/http/pprof and expvar
// are served on a separate admin listener ($ORDERS_ADMIN_PORT), never on the public port.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Order is what POST /orders accepts and GET /orders/{id} returns.
type Order struct {
	ID       int64   `json:"id"`
	Customer string  `json:"customer"`
	Item     string  `json:"item"`
	Quantity int     `json:"quantity"`
	Total    float64 `json:"total"`
}

// store keeps the most recent orders in a fixed-size ring: memory stays bounded however many
// orders arrive, which is what the leak gate checks.
type store struct {
	mu     sync.Mutex
	nextID int64
	recent [256]Order
}

func (s *store) add(o Order) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	o.ID = s.nextID
	s.recent[o.ID%int64(len(s.recent))] = o
	return o
}

func (s *store) get(id int64) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.recent[id%int64(len(s.recent))]
	return o, o.ID == id && id > 0
}

func (s *store) createOrder(w http.ResponseWriter, r *http.Request) {
	var o Order
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&o); err != nil {
		http.Error(w, "bad order: "+err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, s.add(o))
}

func (s *store) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	o, ok := s.get(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	s := &store{}
	api := http.NewServeMux()
	api.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	api.HandleFunc("POST /orders", s.createOrder)
	api.HandleFunc("GET /orders/{id}", s.getOrder)

	admin := http.NewServeMux()
	admin.HandleFunc("/debug/pprof/", pprof.Index) // serves heap, goroutine, allocs, ...
	admin.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
	admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	admin.HandleFunc("/debug/pprof/trace", pprof.Trace)
	admin.Handle("/debug/vars", expvar.Handler()) // optional: exact heap figures (memstats)

	servers := []*http.Server{
		{Addr: ":" + env("ORDERS_PORT", "8000"), Handler: api, ReadHeaderTimeout: 10 * time.Second},
		{Addr: ":" + env("ORDERS_ADMIN_PORT", "6060"), Handler: admin, ReadHeaderTimeout: 10 * time.Second},
	}
	for _, srv := range servers {
		go func(srv *http.Server) {
			log.Printf("orders: listening on %s", srv.Addr)
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Fatalf("orders: %v", err)
			}
		}(srv)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdown)
	}
}
