// Command loadgen is pytest-goleak's load driver, for HTTP and (with -grpc) gRPC. It stays alive between phases so its
// keep-alive connections stay warm: each line on stdin is a number of requests to send; after
// each phase it prints one JSON line with what happened. EOF on stdin ends it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

type config struct {
	url         string
	method      string
	body        []byte
	headers     http.Header
	concurrency int
	rate        float64
	timeout     time.Duration
	grpc        *grpcConfig // nil: HTTP
}

// ok says whether a response's code is a success: an HTTP status under 500, gRPC's OK.
func (c *config) ok(code int) bool {
	if c.grpc != nil {
		return code == 0
	}
	return code < 500
}

type phase struct {
	Requests   int64          `json:"requests"`
	OK         int64          `json:"ok"`
	Errors     int64          `json:"errors"`
	Status     map[string]int `json:"status"`
	Seconds    float64        `json:"seconds"`
	RPS        float64        `json:"rps"`
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	FirstError string         `json:"first_error,omitempty"`
}

func main() {
	var cfg config
	var hs headers
	var body string
	flag.StringVar(&cfg.url, "url", "", "target URL")
	flag.StringVar(&cfg.method, "method", "GET", "HTTP method")
	flag.StringVar(&body, "body", "", "request body")
	flag.Var(&hs, "H", "header 'Name: value' (repeatable)")
	flag.IntVar(&cfg.concurrency, "c", 8, "concurrent connections")
	flag.Float64Var(&cfg.rate, "rate", 0, "total requests per second (0: unlimited)")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "per-request timeout")
	grpcJSON := flag.String("grpc", "", "gRPC load: a JSON grpcConfig (then -url is not used)")
	health := flag.String("grpc-health", "", "ask host:port's grpc.health.v1 service once, then exit")
	flag.Parse()
	if *health != "" {
		code, text := checkHealth(*health, cfg.timeout)
		fmt.Println(text)
		os.Exit(code)
	}
	if *grpcJSON != "" {
		g, err := parseGRPCConfig(*grpcJSON)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
			os.Exit(2)
		}
		cfg.grpc = g
	}
	if (cfg.url == "" && cfg.grpc == nil) || cfg.concurrency < 1 {
		fmt.Fprintln(os.Stderr, "loadgen: -url (or -grpc) and -c >= 1 are required")
		os.Exit(2)
	}
	cfg.body = []byte(body)
	cfg.headers = http.Header{}
	for _, h := range hs {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "loadgen: bad header %q\n", h)
			os.Exit(2)
		}
		cfg.headers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	client := &http.Client{
		Timeout: cfg.timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: cfg.timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        cfg.concurrency * 2,
			MaxIdleConnsPerHost: cfg.concurrency * 2,
			MaxConnsPerHost:     cfg.concurrency,
			DisableCompression:  true,
		},
	}
	var senders []sender
	var err error
	if cfg.grpc != nil {
		senders, err = makeGRPCSenders(&cfg)
	} else {
		senders, err = makeSenders(client, &cfg)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		n, err := strconv.ParseInt(strings.TrimSpace(in.Text()), 10, 64)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "loadgen: bad request count %q\n", in.Text())
			os.Exit(2)
		}
		if err := out.Encode(run(senders, &cfg, n)); err != nil {
			os.Exit(1)
		}
	}
}

// A sender sends one request; each worker owns one, so a raw connection is never shared.
type sender func() (int, error)

// makeSenders gives each worker a raw keep-alive connection for http:// targets, and a shared
// net/http.Client for anything else (https, proxies).
func makeSenders(client *http.Client, cfg *config) ([]sender, error) {
	target, err := url.Parse(cfg.url)
	if err != nil {
		return nil, fmt.Errorf("bad -url: %v", err)
	}
	senders := make([]sender, cfg.concurrency)
	for w := range senders {
		if raw, err := newRaw(target, cfg); err == nil {
			senders[w] = raw.do
		} else {
			senders[w] = func() (int, error) { return once(client, cfg) }
		}
	}
	return senders, nil
}

// run sends n requests from cfg.concurrency workers. With a rate, request i is not sent
// before start + i/rate, which paces the total without a ticker per worker.
func run(senders []sender, cfg *config, n int64) phase {
	var next, ok, failed atomic.Int64
	var mu sync.Mutex
	status := map[string]int{}
	var firstErr string
	latencies := make([][]time.Duration, cfg.concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < cfg.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			local := map[string]int{}
			for {
				i := next.Add(1) - 1
				if i >= n {
					break
				}
				if cfg.rate > 0 {
					due := start.Add(time.Duration(float64(i) / cfg.rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
				}
				t0 := time.Now()
				code, err := senders[w]()
				latencies[w] = append(latencies[w], time.Since(t0))
				var st *grpcStatus
				if errors.As(err, &st) { // a gRPC call that ended with a status: counted like an HTTP status
					mu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
					err = nil
				}
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
					continue
				}
				local[strconv.Itoa(code)]++
				if cfg.ok(code) {
					ok.Add(1)
				}
			}
			mu.Lock()
			for k, v := range local {
				status[k] += v
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	p := phase{Requests: n, OK: ok.Load(), Errors: failed.Load(), Status: status, Seconds: secs, FirstError: firstErr}
	if secs > 0 {
		p.RPS = float64(n) / secs
	}
	if len(all) > 0 {
		p.P50Ms = ms(all[len(all)/2])
		p.P99Ms = ms(all[len(all)*99/100])
	}
	return p
}

func once(client *http.Client, cfg *config) (int, error) {
	var body io.Reader
	if len(cfg.body) > 0 {
		body = bytes.NewReader(cfg.body)
	}
	req, err := http.NewRequest(cfg.method, cfg.url, body)
	if err != nil {
		return 0, err
	}
	req.Header = cfg.headers.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	// Drain so the connection is reused: the driver itself must not leak or churn sockets.
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
