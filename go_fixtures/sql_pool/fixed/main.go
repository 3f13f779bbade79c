// Fixed twin of ../leaky (database/sql pool per request). openDB opens the pool for
// $DATABASE_URL once, and every request shares that *sql.DB and its connections.
package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

// the fix: one pool for the process, opened on first use
var openDB = sync.OnceValues(func() (*sql.DB, error) {
	return sql.Open("pgx", os.Getenv("DATABASE_URL"))
})

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
	server.Run("sql_pool/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
