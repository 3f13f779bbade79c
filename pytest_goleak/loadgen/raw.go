package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawConn speaks just enough HTTP/1.1 over one keep-alive connection to send a fixed,
// pre-serialised request and read the response off the wire. Like wrk, this avoids
// net/http.Client's per-request allocations, which at tens of thousands of requests per second
// would make the driver, not the service, the bottleneck.
type rawConn struct {
	addr    string
	request []byte
	head    bool // a HEAD request: its responses never have a body
	timeout time.Duration
	conn    net.Conn
	r       *bufio.Reader
}

func newRaw(target *url.URL, cfg *config) (*rawConn, error) {
	if target.Scheme != "http" {
		return nil, fmt.Errorf("raw client needs http://, got %s", target.Scheme)
	}
	host := target.Host
	if target.Port() == "" {
		host = net.JoinHostPort(target.Hostname(), "80")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pytest-goleak-loadgen\r\n", cfg.method, target.RequestURI(), target.Host)
	for name, values := range cfg.headers {
		for _, v := range values {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	if len(cfg.body) > 0 || cfg.method == "POST" || cfg.method == "PUT" || cfg.method == "PATCH" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(cfg.body))
	}
	b.WriteString("\r\n")
	b.Write(cfg.body)
	return &rawConn{addr: host, request: b.Bytes(), head: cfg.method == "HEAD", timeout: cfg.timeout}, nil
}

func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.r = nil, nil
	}
}

// do sends one request and returns its status code. On any error the connection is dropped,
// so the next request redials, as a real client would.
func (c *rawConn) do() (int, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	if _, err := c.conn.Write(c.request); err != nil {
		c.close()
		return 0, err
	}
	code, keepAlive, err := c.readResponse()
	if err != nil || !keepAlive {
		c.close()
	}
	return code, err
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
