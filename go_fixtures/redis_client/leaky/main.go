// Leak: a go-redis v9 client created per request and never closed. handleWork calls
// newClient for $REDIS_URL on every request; the client is only put on the closeAtExit list
// that main drains at shutdown, so each request leaves one client, its pool and one open
// Redis connection (an fd here, a connected_clients entry on the server) until the process ends.
//
// go-redis is pinned on purpose (go.mod: v9.17.2) and newClient sets the maintenance
// notifications mode to ModeDisabled. From v9.16 a RESP3 client in the default "auto" mode
// starts a maintenance manager (a circuit-breaker cleanup goroutine) in NewClient, and stops
// it again when the server rejects CLIENT MAINT_NOTIFICATIONS (Redis 7 does; Redis 8.2+ and
// Redis Enterprise may not), so goroutine growth would depend on the library version and on
// the server. Disabled, the client starts no goroutine of its own and the leak is the same
// everywhere. (Without the closeAtExit reference a dropped v9 client is unreachable and the
// GC's net.netFD finalizer closes its connection: measured as no growth at all.)
// Fix (../fixed): newClient builds one client for the process and every request shares it.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var (
	mu          sync.Mutex
	closeAtExit []io.Closer
)

func newClient() (*redis.Client, error) {
	opt, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		return nil, err
	}
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	rdb := redis.NewClient(opt)
	mu.Lock()
	defer mu.Unlock()
	closeAtExit = append(closeAtExit, rdb)
	return rdb, nil
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	rdb, err := newClient()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	n, err := rdb.Incr(r.Context(), "goleak:redis_client:hits").Result()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_, _ = fmt.Fprintf(w, "hits: %d\n", n)
}

func main() {
	server.Run("redis_client/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
	mu.Lock()
	defer mu.Unlock()
	for _, c := range closeAtExit {
		if err := c.Close(); err != nil {
			log.Printf("close: %v", err)
		}
	}
}
