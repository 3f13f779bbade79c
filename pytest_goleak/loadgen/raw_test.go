package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func rawFor(t *testing.T, srv *httptest.Server, method, body string) *rawConn {
	t.Helper()
	u, _ := url.Parse(srv.URL + "/x?y=1")
	cfg := &config{method: method, body: []byte(body), headers: http.Header{"X-Test": {"1"}}, timeout: 2 * time.Second}
	c, err := newRaw(u, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

func TestRawKeepsOneConnectionAcrossResponseKinds(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") != "1" || r.URL.RequestURI() != "/x?y=1" {
			w.WriteHeader(400)
			return
		}
		switch r.Method {
		case "GET": // small body: Content-Length
			_, _ = w.Write([]byte("ok"))
		case "PUT": // large streamed body: chunked
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(strings.Repeat("z", 100_000)))
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	for _, tc := range []struct {
		method string
		want   int
	}{{"GET", 200}, {"PUT", 200}, {"DELETE", 418}} {
		c := rawFor(t, srv, tc.method, "")
		for i := 0; i < 50; i++ {
			code, err := c.do()
			if err != nil || code != tc.want {
				t.Fatalf("%s #%d: code %d err %v, want %d", tc.method, i, code, err, tc.want)
			}
		}
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("want 3 connections (one per client, kept alive), got %d", n)
	}
}

func TestRawRedialsAfterConnectionClose(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = w.Write([]byte("bye"))
	}))
	defer srv.Close()
	c := rawFor(t, srv, "POST", "payload")
	for i := 0; i < 5; i++ {
		if code, err := c.do(); err != nil || code != 200 {
			t.Fatalf("#%d: code %d err %v", i, code, err)
		}
		if c.conn != nil {
			t.Fatal("connection kept after Connection: close")
		}
	}
}

func TestRawReportsRefusedConnection(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1/")
	c, _ := newRaw(u, &config{method: "GET", timeout: time.Second})
	if _, err := c.do(); err == nil {
		t.Fatal("want an error from a refused connection")
	}
}

func TestNewRawRejectsHTTPS(t *testing.T) {
	u, _ := url.Parse("https://example.invalid/")
	if _, err := newRaw(u, &config{method: "GET"}); err == nil {
		t.Fatal("https must fall back to net/http")
	}
}
