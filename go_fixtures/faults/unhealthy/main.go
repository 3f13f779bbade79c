// Fault fixture: never becomes healthy. It listens, but /healthz (and everything else)
// answers 503 for ever, so the harness must give up after the scenario's health timeout.
package main

import (
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	addr := os.Getenv("GOLEAK_LISTEN")
	if addr == "" {
		addr = ":" + os.Getenv("PORT")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("faults/unhealthy: listen: %v", err)
	}
	log.Printf("faults/unhealthy: listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "still warming up", http.StatusServiceUnavailable)
	})))
}
