// Leak: a database/sql pool opened per request and never closed. handleWork calls openDB,
// which runs sql.Open (driver: pgx stdlib) for $DATABASE_URL on every request and never
// calls Close, so each request leaves behind a *sql.DB with its connectionOpener goroutine,
// one idle PostgreSQL connection (a socket fd here, a backend on the server) and its buffers.
// Fix (../fixed): openDB opens the pool once and every request shares that *sql.DB.
package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func openDB() (*sql.DB, error) {
	return sql.Open("pgx", os.Getenv("DATABASE_URL"))
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	db, err := openDB()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var n int
	if err := db.QueryRowContext(r.Context(), "SELECT 1").Scan(&n); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_, _ = fmt.Fprintf(w, "rows: %d\n", n)
}

func main() {
	server.Run("sql_pool/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
