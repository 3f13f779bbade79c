// Leak: a go-redis v9 PubSub per request that is never closed. handleWork waits for a job's
// completion event the way many services do: awaitDone subscribes to the job's channel on the
// process's one client, starts the job (a PUBLISH on that channel stands in for the worker that
// would announce it) and takes the first message from sub.Channel(). Nothing calls sub.Close(),
// so every request leaves a dedicated Redis connection (an fd here, a connected_clients entry on
// the server, held in the client pool's connection map) with its 32 KiB read and write buffers,
// and the two goroutines Channel() starts: the receive loop, and its health check, which pings
// every 3 s and so keeps the connection alive for ever. A dropped PubSub is not collected: its
// goroutines hold it.
//
// go-redis is pinned on purpose (go.mod: v9.17.2) and newClient sets the maintenance
// notifications mode to ModeDisabled. From v9.16 a RESP3 client in the default "auto" mode
// starts a maintenance manager (a circuit-breaker cleanup goroutine) in NewClient, and stops
// it again when the server rejects CLIENT MAINT_NOTIFICATIONS (Redis 7 does; Redis 8.2+ and
// Redis Enterprise may not), so goroutine counts would depend on the library version and on
// the server. Disabled, the client starts no goroutine of its own.
// Fix (../fixed): defer sub.Close(), which ends both goroutines and closes the connection.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

var jobs atomic.Uint64

func newClient() (*redis.Client, error) {
	opt, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		return nil, err
	}
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(opt), nil
}

// awaitDone starts a job and waits for its completion event on the job's own channel.
func awaitDone(ctx context.Context, rdb *redis.Client, job string) (string, error) {
	sub := rdb.Subscribe(ctx, "goleak:jobs:"+job)
	if _, err := sub.Receive(ctx); err != nil { // the subscription is confirmed
		return "", err
	}
	if err := rdb.Publish(ctx, "goleak:jobs:"+job, "done "+job).Err(); err != nil {
		return "", err
	}
	select {
	case msg := <-sub.Channel():
		return msg.Payload, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func handleWork(rdb *redis.Client) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, err := awaitDone(r.Context(), rdb, strconv.FormatUint(jobs.Add(1), 10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = fmt.Fprintf(w, "%s\n", status)
	}
}

func main() {
	rdb, err := newClient()
	if err != nil {
		log.Fatalf("redis_client/leaky: %v", err)
	}
	server.Run("redis_client/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork(rdb))
	})
	if err := rdb.Close(); err != nil {
		log.Printf("close: %v", err)
	}
}
