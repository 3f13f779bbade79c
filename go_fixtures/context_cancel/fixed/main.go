// Fixed twin of ../leaky (cancel not called). handleWork defers cancel right after
// context.WithTimeout, so the child leaves appCtx's children map and its timer stops when the
// request ends, on every path.
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
	defer cancel() // the fix: release the child on every path
	n, err := work(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = fmt.Fprintf(w, "scope: %d bytes\n", n)
}

func main() {
	defer stopApp()
	server.Run("context_cancel/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
