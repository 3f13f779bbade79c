package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// rawConn speaks just enough HTTP/1.1 over one keep-alive connection to send a request
// and read the response off the wire. Like wrk, this avoids net/http.Client's per-request
// allocations, which at tens of thousands of requests per second would make the driver, not the
// service, the bottleneck.
type rawConn struct {
	addr    string
	head    bool // the current request is a HEAD: its response never has a body
	timeout time.Duration
	conn    net.Conn
	r       *bufio.Reader
}

// rawSender serialises each request of the mix for one rawConn: a static entry once, up front;
// an entry with variables into a reused buffer, per request.
type rawSender struct {
	rawConn
	host    string // the Host header
	prefix  string // the base URL's own path, before each entry's path
	entries []entry
	static  [][]byte
	buf     []byte
}

func newRawSender(target *url.URL, timeout time.Duration, entries []entry) (*rawSender, error) {
	if target.Scheme != "http" {
		return nil, fmt.Errorf("raw client needs http://, got %s", target.Scheme)
	}
	addr := target.Host
	if target.Port() == "" {
		addr = net.JoinHostPort(target.Hostname(), "80")
	}
	s := &rawSender{rawConn: rawConn{addr: addr, timeout: timeout}, host: target.Host,
		prefix: strings.TrimSuffix(target.EscapedPath(), "/"), entries: entries, static: make([][]byte, len(entries))}
	for i := range entries {
		if entries[i].static {
			s.static[i] = s.appendRequest(nil, &entries[i], nil)
		}
	}
	return s, nil
}

// appendRequest serialises one request of entry e; ctx is only read for templates with variables.
func (s *rawSender) appendRequest(b []byte, e *entry, ctx *Context) []byte {
	b = append(b, e.method...)
	b = append(b, ' ')
	b = append(b, s.prefix...)
	b = e.path.Append(b, ctx)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, s.host...)
	b = append(b, "\r\nUser-Agent: pytest-goleak-loadgen\r\n"...)
	for _, h := range e.headers {
		b = append(b, h.name...)
		b = append(b, ": "...)
		b = h.value.Append(b, ctx)
		b = append(b, "\r\n"...)
	}
	bodyAt := len(b)
	b = e.body.Append(b, ctx) // expanded once, then moved behind the headers that give its length
	body := len(b) - bodyAt
	if body == 0 && e.method != "POST" && e.method != "PUT" && e.method != "PATCH" {
		return append(b, "\r\n"...)
	}
	var head [40]byte
	h := append(head[:0], "Content-Length: "...)
	h = strconv.AppendInt(h, int64(body), 10)
	h = append(h, "\r\n\r\n"...)
	b = append(b, h...) // grow by len(h), then shift the body right over it
	copy(b[bodyAt+len(h):], b[bodyAt:bodyAt+body])
	copy(b[bodyAt:], h)
	return b
}

func (s *rawSender) send(i int, ctx *Context, abortAfter time.Duration) (int, bool, error) {
	req := s.static[i]
	if req == nil {
		s.buf = s.appendRequest(s.buf[:0], &s.entries[i], ctx)
		req = s.buf
	}
	s.head = s.entries[i].method == "HEAD"
	return s.do(req, abortAfter)
}

func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.r = nil, nil
	}
}

// do sends one request and returns its status code. On any error the connection is dropped,
// so the next request redials, as a real client would. With abortAfter > 0 the request is given
// up (the connection closed, as an HTTP/1.1 client cancels) when no answer came by then.
func (c *rawConn) do(request []byte, abortAfter time.Duration) (code int, aborted bool, err error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, false, err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	now := time.Now()
	_ = c.conn.SetDeadline(now.Add(c.timeout))
	if _, err := c.conn.Write(request); err != nil {
		c.close()
		return 0, false, err
	}
	if abortAfter > 0 {
		_ = c.conn.SetReadDeadline(now.Add(abortAfter))
	}
	code, keepAlive, err := c.readResponse()
	if err != nil || !keepAlive {
		c.close()
	}
	if err != nil && abortAfter > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, true, nil
	}
	return code, false, err
}

// responseHead is what readResponse needs from a status line and its header fields.
type responseHead struct {
	code      int
	keepAlive bool
	length    int64 // -1 when there is no Content-Length
	chunked   bool
}

// readResponse reads one final response and skips its body, framed as RFC 9112 §6.3 says.
func (c *rawConn) readResponse() (code int, keepAlive bool, err error) {
	for {
		h, err := c.readHead()
		if err != nil {
			return h.code, false, err
		}
		switch {
		case h.code == 101: // Switching Protocols: the connection no longer speaks HTTP/1.1
			return h.code, false, nil
		case h.code < 200: // interim (100 Continue, 103 Early Hints): the final response follows
			continue
		case c.head || h.code == 204 || h.code == 304: // never a body, whatever the headers say
			return h.code, h.keepAlive, nil
		case h.chunked:
			err = c.skipChunked()
		case h.length >= 0:
			_, err = c.r.Discard(int(h.length))
		default: // no length: the body runs to EOF
			_, err = io.Copy(io.Discard, c.r)
			h.keepAlive = false
		}
		return h.code, h.keepAlive, err
	}
}

func (c *rawConn) readHead() (responseHead, error) {
	h := responseHead{length: -1}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return h, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return h, fmt.Errorf("bad status line %q", line)
	}
	h.code, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return h, fmt.Errorf("bad status line %q", line)
	}
	h.keepAlive = line[7] == '1'
	for {
		field, err := c.r.ReadSlice('\n')
		if err != nil {
			return h, err
		}
		field = bytes.TrimRight(field, "\r\n")
		if len(field) == 0 {
			return h, nil
		}
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			h.length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return h, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			h.chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			h.keepAlive = !bytes.EqualFold(value, []byte("close"))
		}
	}
}

func (c *rawConn) skipChunked() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers end with an empty line
				t, err := c.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := c.r.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}
