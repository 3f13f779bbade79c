// Fixed twin of ../leaky (go-redis client per request). newClient builds one client for
// $REDIS_URL on first use and every request shares it; main closes it at shutdown. Same
// go-redis pin (v9.17.2) and maintenance notifications ModeDisabled as the leaky twin.
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

// the fix: one client for the process, built on first use
var newClient = sync.OnceValues(func() (*redis.Client, error) {
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
})

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
	server.Run("redis_client/fixed", func(mux *http.ServeMux) {
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
