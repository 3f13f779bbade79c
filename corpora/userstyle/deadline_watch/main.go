// deadline_watch: accepts jobs, hands each to an asynchronous worker and answers at once. A
// watcher per job logs the job if the worker has not confirmed it within 40 ms.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/pprof"
	"os"
	"sync/atomic"
	"time"
)

var (
	jobs, late atomic.Int64
)

type job struct {
	id        int64
	payload   []byte
	confirmed chan struct{}
}

// startWorker pretends to hand the job to a queue; the confirmation arrives 5-50 ms later.
func startWorker(j *job) {
	time.AfterFunc(time.Duration(5+rand.IntN(45))*time.Millisecond, func() { close(j.confirmed) })
}

// watch waits for the job's confirmation, and counts it as late after 40 ms.
func watch(j *job) {
	t := time.NewTimer(40 * time.Millisecond)
	defer t.Stop()
	select {
	case <-j.confirmed:
	case <-t.C:
		late.Add(1)
		<-j.confirmed
	}
}

func submit(w http.ResponseWriter, r *http.Request) {
	j := &job{id: jobs.Add(1), payload: make([]byte, 8<<10), confirmed: make(chan struct{})}
	startWorker(j)
	go watch(j)
	fmt.Fprintf(w, "job %d accepted (%d late so far)\n", j.id, late.Load())
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/submit", submit)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
