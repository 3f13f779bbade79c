// metrics_mutex: a small greeting API that records the latency of every request and pushes
// the figures to a metrics collector in the background.
package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

var stats struct {
	sync.Mutex
	latencies []time.Duration
}

// pushLoop sends the collected latencies to the collector and waits for its acknowledgement.
func pushLoop(addr string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		log.Printf("metrics: %v", err)
		return
	}
	r := bufio.NewReader(conn)
	for {
		stats.Lock()
		fmt.Fprintf(conn, "latencies %d\n", len(stats.latencies))
		_, err := r.ReadString('\n') // the ack
		stats.latencies = stats.latencies[:0]
		stats.Unlock()
		if err != nil {
			log.Printf("metrics: %v", err)
			return
		}
		time.Sleep(10 * time.Second)
	}
}

func recordLatency(d time.Duration) {
	stats.Lock()
	defer stats.Unlock()
	if len(stats.latencies) < 4096 {
		stats.latencies = append(stats.latencies, d)
	}
}

// devCollector stands in for the collector when METRICS_ADDR is unset: it accepts the
// connection and reads what it is sent.
func devCollector() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go bufio.NewReader(c).WriteTo(devNull{})
		}
	}()
	return ln.Addr().String()
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

func hello(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	fmt.Fprintf(w, "hello, %s\n", name)
	go recordLatency(time.Since(start)) // don't make the client wait for the metrics lock
}

func main() {
	addr := os.Getenv("METRICS_ADDR")
	if addr == "" {
		addr = devCollector()
	}
	go pushLoop(addr)
	http.HandleFunc("/hello", hello)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
