// Package upstream starts a small HTTP server inside the fixture's own process on
// 127.0.0.1:0, so a fixture can make real outbound calls over loopback without any
// service outside the container.
package upstream

import (
	"bytes"
	"log"
	"net"
	"net/http"
	"time"
)

// Start serves body on every path and returns the server's base URL ("http://127.0.0.1:N").
// The server lives as long as the process; the fixtures never stop it.
func Start(body []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("upstream: listen: %v", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String()
}

// Payload returns n bytes of filler for Start.
func Payload(n int) []byte {
	return bytes.Repeat([]byte("x"), n)
}
