package main

// The driver's configuration is one JSON object, the first line on stdin (Spec below); every
// later line is one phase: "N" sends N requests, "Ns" (e.g. "12.5s") sends for that many seconds.
// After each phase the driver prints one JSON line (phase in main.go). EOF on stdin ends it.
//
// A new kind of load (gRPC) adds its own field to Spec and its own sender; templates come from
// template.go (Compile with Spec.Vars, NewContext(Spec.Seed, NextSeq()) per request).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Spec is what the Python side asks for (pytest_goleak/load.py writes it).
type Spec struct {
	BaseURL     string            `json:"base_url"`
	Concurrency int               `json:"concurrency"`
	Rate        float64           `json:"rate"` // requests per second in total; 0: unlimited
	TimeoutS    float64           `json:"timeout_s"`
	Seed        uint64            `json:"seed"`
	Vars        map[string]string `json:"vars"`     // captured by setup steps
	Requests    []RequestSpec     `json:"requests"` // the mix; load.path is a mix of one
	Abort       *AbortSpec        `json:"abort,omitempty"`
	GRPC        *grpcConfig       `json:"grpc,omitempty"` // a gRPC load (grpc.go): Requests is its one entry
}

// ok says whether an answer's code is a success: an HTTP status under 500; gRPC's OK.
func (s *Spec) ok(code int) bool {
	if s.GRPC != nil {
		return code == 0
	}
	return code < 500
}

// RequestSpec is one entry of the mix; Path (with its query), header values and Body are templates.
type RequestSpec struct {
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
	Weight  float64     `json:"weight"`
}

// AbortSpec: that share of requests is given up AfterS seconds after sending.
type AbortSpec struct {
	Share  float64 `json:"share"`
	AfterS float64 `json:"after_s"`
}

func (s *Spec) timeout() time.Duration { return time.Duration(s.TimeoutS * float64(time.Second)) }

// abortAfter is 0 when no request is ever aborted.
func (s *Spec) abortAfter() (float64, time.Duration) {
	if s.Abort == nil || s.Abort.Share <= 0 {
		return 0, 0
	}
	return s.Abort.Share, time.Duration(s.Abort.AfterS * float64(time.Second))
}

// entry is a compiled RequestSpec.
type entry struct {
	method  string
	path    *Template
	headers []compiledHeader
	body    *Template
	upto    float64 // cumulative weight: this entry is chosen for a draw below upto
	static  bool
}

type compiledHeader struct {
	name  string
	value *Template
}

func readSpec(line []byte) (*Spec, []entry, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, nil, fmt.Errorf("bad spec: %v", err)
	}
	if _, err := url.Parse(s.BaseURL); err != nil || s.BaseURL == "" {
		return nil, nil, fmt.Errorf("bad base_url %q", s.BaseURL)
	}
	if s.Concurrency < 1 || s.TimeoutS <= 0 || len(s.Requests) == 0 {
		return nil, nil, fmt.Errorf("spec needs concurrency >= 1, timeout_s > 0 and at least one request")
	}
	if s.Abort != nil && (s.Abort.Share <= 0 || s.Abort.Share > 1 || s.Abort.AfterS < 0) {
		return nil, nil, fmt.Errorf("abort.share must be in (0, 1] and abort.after_s >= 0")
	}
	entries, err := compileEntries(s.Requests, s.Vars)
	return &s, entries, err
}

func compileEntries(reqs []RequestSpec, vars map[string]string) ([]entry, error) {
	entries := make([]entry, len(reqs))
	total := 0.0
	for i, r := range reqs {
		if r.Weight <= 0 || r.Method == "" || !strings.HasPrefix(r.Path, "/") {
			return nil, fmt.Errorf("request %d: needs a method, a path starting with '/' and a weight > 0", i)
		}
		e := entry{method: r.Method}
		var err error
		if e.path, err = Compile(r.Path, vars); err != nil {
			return nil, fmt.Errorf("request %d path: %v", i, err)
		}
		if e.body, err = Compile(r.Body, vars); err != nil {
			return nil, fmt.Errorf("request %d body: %v", i, err)
		}
		e.static = e.path.Static() && e.body.Static()
		for _, h := range r.Headers {
			v, err := Compile(h[1], vars)
			if err != nil {
				return nil, fmt.Errorf("request %d header %s: %v", i, h[0], err)
			}
			e.headers = append(e.headers, compiledHeader{h[0], v})
			e.static = e.static && v.Static()
		}
		total += r.Weight
		e.upto = total
		entries[i] = e
	}
	return entries, nil
}

// pick chooses an entry by weight; a mix of one draws nothing.
func pick(entries []entry, ctx *Context) int {
	if len(entries) == 1 {
		return 0
	}
	x := ctx.Float64() * entries[len(entries)-1].upto
	for i := range entries {
		if x < entries[i].upto {
			return i
		}
	}
	return len(entries) - 1
}

// parsePhase reads "N" (requests) or "Ns" (seconds): n < 0 when the phase is timed.
func parsePhase(text string) (n int64, seconds float64, err error) {
	text = strings.TrimSpace(text)
	if rest, ok := strings.CutSuffix(text, "s"); ok {
		seconds, err = strconv.ParseFloat(rest, 64)
		if err != nil || seconds <= 0 {
			return 0, 0, fmt.Errorf("bad phase %q", text)
		}
		return -1, seconds, nil
	}
	n, err = strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("bad phase %q", text)
	}
	return n, 0, nil
}
