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

func rawFor(t *testing.T, srv *httptest.Server, method, body string) *rawSender {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	c, err := newTestSender(u, RequestSpec{Method: method, Path: "/x?y=1", Body: body,
		Headers: [][2]string{{"X-Test", "1"}}}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

// newTestSender is a raw sender of one request, without variables.
func newTestSender(u *url.URL, r RequestSpec, timeout time.Duration) (*rawSender, error) {
	r.Weight = 1
	if r.Path == "" {
		r.Path = "/"
	}
	entries, err := compileEntries([]RequestSpec{r}, nil)
	if err != nil {
		return nil, err
	}
	return newRawSender(u, timeout, entries)
}

// do0 sends the sender's one request.
func (s *rawSender) do0() (int, error) {
	code, _, err := s.send(0, &Context{}, 0)
	return code, err
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
			code, err := c.do0()
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
		if code, err := c.do0(); err != nil || code != 200 {
			t.Fatalf("#%d: code %d err %v", i, code, err)
		}
		if c.conn != nil {
			t.Fatal("connection kept after Connection: close")
		}
	}
}

func TestRawReportsRefusedConnection(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1/")
	c, _ := newTestSender(u, RequestSpec{Method: "GET"}, time.Second)
	if _, err := c.do0(); err == nil {
		t.Fatal("want an error from a refused connection")
	}
}

func TestNewRawRejectsHTTPS(t *testing.T) {
	u, _ := url.Parse("https://example.invalid/")
	if _, err := newTestSender(u, RequestSpec{Method: "GET"}, time.Second); err == nil {
		t.Fatal("https must fall back to net/http")
	}
}

// rawScript serves canned responses over one TCP connection, one per request line read, so a
// test can send what net/http's server would not (a 204 without Content-Length, interim 1xx,
// headers that promise a body on a HEAD or 304).
func rawScript(t *testing.T, responses ...string) (*url.URL, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var conns atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				for _, resp := range responses {
					if _, err := conn.Read(buf); err != nil { // one small request per read
						return
					}
					if _, err := conn.Write([]byte(resp)); err != nil {
						return
					}
				}
				_, _ = conn.Read(buf) // hold the connection open until the client is done
			}()
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String() + "/")
	return u, &conns
}

func TestRawBodilessResponsesKeepTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name, method, resp string
		want               int
	}{
		{"204 without Content-Length", "GET", "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", 204},
		{"304 with a Content-Length of the full entity", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n", 304},
		{"HEAD with Content-Length", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", 200},
		{"HEAD with chunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200},
		{"HEAD without length", "HEAD", "HTTP/1.1 200 OK\r\n\r\n", 200},
		{"interim 100 and 103 before the final response", "GET",
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 5
			resps := make([]string, n)
			for i := range resps {
				resps[i] = tc.resp
			}
			u, conns := rawScript(t, resps...)
			c, err := newTestSender(u, RequestSpec{Method: tc.method}, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			for i := 0; i < n; i++ {
				start := time.Now()
				code, err := c.do0()
				if err != nil || code != tc.want {
					t.Fatalf("#%d: code %d err %v, want %d", i, code, err, tc.want)
				}
				if d := time.Since(start); d > time.Second {
					t.Fatalf("#%d took %v: the reader waited for a body that cannot come", i, d)
				}
			}
			if got := conns.Load(); got != 1 {
				t.Fatalf("want one kept-alive connection, got %d", got)
			}
		})
	}
}

func TestRawHeadAgainstNetHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write([]byte(strings.Repeat("z", 100_000))) // net/http drops it for HEAD
	}))
	defer srv.Close()
	c := rawFor(t, srv, "HEAD", "")
	for i := 0; i < 20; i++ {
		if code, err := c.do0(); err != nil || code != 200 {
			t.Fatalf("#%d: code %d err %v", i, code, err)
		}
	}
}
