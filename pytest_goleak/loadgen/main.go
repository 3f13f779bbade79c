// Command loadgen is pytest-goleak's load driver, for HTTP and (Spec.GRPC, grpc.go) gRPC. It stays alive between phases so its
// keep-alive connections stay warm, and so {seq} runs on across them. The first line on stdin is
// its configuration (Spec in spec.go); each later line is a phase, "N" requests or "Ns" seconds;
// after each phase it prints one JSON line with what happened. EOF on stdin ends it.
package main

import (
	"bufio"
	"context"
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

// entryStats is what happened to one entry of the mix in one phase.
type entryStats struct {
	Requests int64          `json:"requests"`
	OK       int64          `json:"ok"`
	Errors   int64          `json:"errors"`
	Aborted  int64          `json:"aborted"`
	Status   map[string]int `json:"status"`
}

type phase struct {
	Requests   int64          `json:"requests"`
	OK         int64          `json:"ok"`
	Errors     int64          `json:"errors"`
	Aborted    int64          `json:"aborted"` // given up on purpose (load.abort): not errors
	Status     map[string]int `json:"status"`
	Seconds    float64        `json:"seconds"`
	RPS        float64        `json:"rps"`
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	FirstError string         `json:"first_error,omitempty"`
	Entries    []entryStats   `json:"entries"`
}

func main() {
	health := flag.String("grpc-health", "", "ask host:port's grpc.health.v1 service once, then exit")
	timeout := flag.Duration("timeout", 2*time.Second, "with -grpc-health: how long to wait")
	flag.Parse()
	if *health != "" {
		code, text := checkHealth(*health, *timeout)
		fmt.Println(text)
		os.Exit(code)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	if !in.Scan() {
		fail("no spec on stdin")
	}
	spec, entries, err := readSpec(in.Bytes())
	if err != nil {
		fail(err.Error())
	}
	senders, err := makeSenders(spec, entries)
	if err != nil {
		fail(err.Error())
	}
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		n, seconds, err := parsePhase(in.Text())
		if err != nil {
			fail(err.Error())
		}
		if err := out.Encode(run(senders, spec, entries, n, seconds)); err != nil {
			os.Exit(1)
		}
	}
}

func fail(msg string) {
	fmt.Fprintf(os.Stderr, "loadgen: %s\n", msg)
	os.Exit(2)
}

// A sender sends one request of entry i; each worker owns one, so a raw connection is never shared.
type sender interface {
	send(i int, ctx *Context, abortAfter time.Duration) (code int, aborted bool, err error)
}

// makeSenders gives each worker a raw keep-alive connection for http:// targets, and a shared
// net/http.Client for anything else (https, proxies).
func makeSenders(spec *Spec, entries []entry) ([]sender, error) {
	if spec.GRPC != nil {
		return makeGRPCSenders(spec)
	}
	target, err := url.Parse(spec.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("bad base_url: %v", err)
	}
	timeout := spec.timeout()
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        spec.Concurrency * 2,
			MaxIdleConnsPerHost: spec.Concurrency * 2,
			MaxConnsPerHost:     spec.Concurrency,
			DisableCompression:  true,
		},
	}
	senders := make([]sender, spec.Concurrency)
	for w := range senders {
		if raw, err := newRawSender(target, timeout, entries); err == nil {
			senders[w] = raw
		} else {
			senders[w] = &httpSender{client: client, base: strings.TrimSuffix(spec.BaseURL, "/"), entries: entries}
		}
	}
	return senders, nil
}

// worker is one worker's tally for a phase.
type worker struct {
	stats     []entryStats
	latencies []time.Duration
	firstErr  string
}

// run sends n requests (or, when n < 0, sends for the given seconds) from spec.Concurrency
// workers. With a rate, request i is not sent before start + i/rate, which paces the total
// without a ticker per worker.
func run(senders []sender, spec *Spec, entries []entry, n int64, seconds float64) phase {
	var next atomic.Int64
	share, after := spec.abortAfter()
	workers := make([]worker, len(senders))
	start := time.Now()
	end := start.Add(time.Duration(seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func(wk *worker, s sender) {
			defer wg.Done()
			wk.stats = newStats(len(entries))
			for {
				i := next.Add(1) - 1
				if n >= 0 && i >= n {
					break
				}
				if spec.Rate > 0 {
					due := start.Add(time.Duration(float64(i) / spec.Rate * float64(time.Second)))
					if n < 0 && due.After(end) {
						break
					}
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
				}
				if n < 0 && !time.Now().Before(end) {
					break
				}
				wk.one(s, spec, entries, share, after)
			}
		}(&workers[w], senders[w])
	}
	wg.Wait()
	return summarise(workers, len(entries), time.Since(start).Seconds())
}

// one sends one request and counts it.
func (wk *worker) one(s sender, spec *Spec, entries []entry, share float64, after time.Duration) {
	ctx := NewContext(spec.Seed, NextSeq())
	i := pick(entries, &ctx)
	abort := time.Duration(0)
	if share > 0 && (share >= 1 || ctx.Float64() < share) {
		abort = after
		if abort <= 0 {
			abort = time.Nanosecond
		}
	}
	st := &wk.stats[i]
	st.Requests++
	t0 := time.Now()
	code, aborted, err := s.send(i, &ctx, abort)
	var gs *grpcStatus
	if errors.As(err, &gs) { // a gRPC call that ended with a status: counted like an HTTP status
		if wk.firstErr == "" {
			wk.firstErr = err.Error()
		}
		err = nil
	}
	switch {
	case aborted:
		st.Aborted++
	case err != nil:
		st.Errors++
		if wk.firstErr == "" {
			wk.firstErr = err.Error()
		}
	default:
		wk.latencies = append(wk.latencies, time.Since(t0))
		st.Status[strconv.Itoa(code)]++
		if spec.ok(code) {
			st.OK++
		}
	}
}

func newStats(n int) []entryStats {
	s := make([]entryStats, n)
	for i := range s {
		s[i].Status = map[string]int{}
	}
	return s
}

func summarise(workers []worker, entries int, secs float64) phase {
	p := phase{Status: map[string]int{}, Seconds: secs, Entries: newStats(entries)}
	var all []time.Duration
	for _, wk := range workers {
		all = append(all, wk.latencies...)
		if p.FirstError == "" {
			p.FirstError = wk.firstErr
		}
		for i, st := range wk.stats {
			e := &p.Entries[i]
			e.Requests += st.Requests
			e.OK += st.OK
			e.Errors += st.Errors
			e.Aborted += st.Aborted
			for k, v := range st.Status {
				e.Status[k] += v
				p.Status[k] += v
			}
		}
	}
	for _, e := range p.Entries {
		p.Requests += e.Requests
		p.OK += e.OK
		p.Errors += e.Errors
		p.Aborted += e.Aborted
	}
	if secs > 0 {
		p.RPS = float64(p.Requests) / secs
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	if len(all) > 0 {
		p.P50Ms = ms(all[len(all)/2])
		p.P99Ms = ms(all[len(all)*99/100])
	}
	return p
}

// httpSender sends through net/http (https targets, say); an abort cancels the request's context.
type httpSender struct {
	client  *http.Client
	base    string
	entries []entry
}

func (h *httpSender) send(i int, ctx *Context, abortAfter time.Duration) (int, bool, error) {
	e := &h.entries[i]
	path := e.path.Expand(ctx)
	var body io.Reader
	if b := e.body.Expand(ctx); b != "" {
		body = strings.NewReader(b)
	}
	rctx := context.Background()
	if abortAfter > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(rctx, abortAfter)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(rctx, e.method, h.base+path, body)
	if err != nil {
		return 0, false, err
	}
	for _, hd := range e.headers {
		req.Header.Add(hd.name, hd.value.Expand(ctx))
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, abortAfter > 0 && rctx.Err() != nil, err
	}
	// Drain so the connection is reused: the driver itself must not leak or churn sockets.
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil && abortAfter > 0 && rctx.Err() != nil {
		return 0, true, nil
	}
	return resp.StatusCode, false, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
