// pooled_buffers: renders CSV exports of 64 KiB or so, reusing buffers through a sync.Pool.
package main

import (
	"bytes"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"
)

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func export(w http.ResponseWriter, r *http.Request) {
	buf := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(buf)
	buf.Reset()
	for i := 0; i < 2000; i++ {
		buf.WriteString(strconv.Itoa(i))
		buf.WriteString(",widget,")
		buf.WriteString(strconv.Itoa(i * 37 % 1000))
		buf.WriteString(",in stock\n")
	}
	w.Header().Set("Content-Type", "text/csv")
	fmt.Fprintf(w, "%d bytes\n", buf.Len())
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/export", export)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
