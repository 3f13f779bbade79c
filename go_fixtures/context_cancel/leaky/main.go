// Leak: a context.WithTimeout whose cancel is not called. handleWork derives a one-hour
// deadline from requestScope (the process-wide appCtx plus a 4 KiB request-scoped value) and
// calls cancel only on its error path. On success the child stays registered in appCtx's
// children map, with its timer pending for an hour, and through its parent it retains the
// request's 4 KiB scope: one child context, timer and scope per request.
// Fix (../fixed): handleWork defers cancel right after WithTimeout.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

// appCtx lives as long as the process: it is cancelled only at shutdown.
var appCtx, stopApp = context.WithCancel(context.Background())

type scopeKey struct{}

// requestScope attaches request-scoped data (think: decoded session, auth claims) to appCtx.
func requestScope(r *http.Request) context.Context {
	scope := make([]byte, 4<<10)
	copy(scope, r.URL.Path)
	return context.WithValue(appCtx, scopeKey{}, scope)
}

func work(ctx context.Context) (int, error) {
	scope, ok := ctx.Value(scopeKey{}).([]byte)
	if !ok {
		return 0, errors.New("no request scope")
	}
	return len(scope), ctx.Err()
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(requestScope(r), time.Hour)
	n, err := work(ctx)
	if err != nil {
		cancel()
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = fmt.Fprintf(w, "scope: %d bytes\n", n)
}

func main() {
	defer stopApp()
	server.Run("context_cancel/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
