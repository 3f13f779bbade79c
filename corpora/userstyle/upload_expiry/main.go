// upload_expiry: accepts upload chunks, stages each in a scratch buffer, and scrubs the
// buffer after the retention period so that no customer data outlives it.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

const (
	chunkSize = 4096
	retention = 30 * time.Minute
)

// stageUpload copies a chunk into a scratch buffer and schedules the buffer's scrubbing.
func stageUpload(r io.Reader) ([]byte, error) {
	buf := make([]byte, chunkSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	time.AfterFunc(retention, func() { clear(buf) })
	return buf[:n], nil
}

func upload(w http.ResponseWriter, r *http.Request) {
	chunk, err := stageUpload(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(chunk)
	fmt.Fprintf(w, "staged %d bytes, sha256 %s\n", len(chunk), hex.EncodeToString(sum[:8]))
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/upload", upload)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
