// Fixed twin of ../leaky (a go-redis PubSub per request, never closed). awaitDone closes its
// subscription when it returns (defer sub.Close()), which ends the two goroutines Channel()
// started and closes the dedicated connection. Same go-redis pin (v9.17.2) and maintenance
// notifications ModeDisabled as the leaky twin.
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
	defer sub.Close()                           // the fix: ends Channel()'s goroutines and closes the connection
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
		log.Fatalf("redis_client/fixed: %v", err)
	}
	server.Run("redis_client/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork(rdb))
	})
	if err := rdb.Close(); err != nil {
		log.Printf("close: %v", err)
	}
}
