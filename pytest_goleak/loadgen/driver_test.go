package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func specFor(t *testing.T, srv *httptest.Server, reqs []RequestSpec, abort *AbortSpec) (*Spec, []entry, []sender) {
	t.Helper()
	line, _ := json.Marshal(Spec{BaseURL: srv.URL, Concurrency: 4, TimeoutS: 2, Seed: 9,
		Vars: map[string]string{"token": "t0k"}, Requests: reqs, Abort: abort})
	spec, entries, err := readSpec(line)
	if err != nil {
		t.Fatal(err)
	}
	senders, err := makeSenders(spec, entries)
	if err != nil {
		t.Fatal(err)
	}
	return spec, entries, senders
}

func TestMixWithVariablesOverRawConnections(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/export" {
			var doc struct{ ID string }
			if json.Unmarshal(body, &doc) != nil || r.Header.Get("Authorization") != "Bearer t0k" {
				w.WriteHeader(400)
				return
			}
			mu.Lock()
			dup := ids[doc.ID]
			ids[doc.ID] = true
			mu.Unlock()
			if dup {
				w.WriteHeader(409)
				return
			}
			w.WriteHeader(201)
			return
		}
		if _, err := strconv.Atoi(r.URL.Query().Get("u")); err != nil {
			w.WriteHeader(400)
		}
	}))
	defer srv.Close()
	spec, entries, senders := specFor(t, srv, []RequestSpec{
		{Method: "GET", Path: "/user?u={rand:1-50}", Weight: 9},
		{Method: "POST", Path: "/export", Body: `{"id": "{uuid}-{seq}"}`, Weight: 1,
			Headers: [][2]string{{"Authorization", "Bearer {token}"}}},
	}, nil)
	p := run(senders, spec, entries, 2000, 0)
	if p.Requests != 2000 || p.Errors != 0 || p.Status["200"]+p.Status["201"] != 2000 {
		t.Fatalf("want 2000 good answers, got %+v", p)
	}
	if e := p.Entries[1]; e.Requests < 120 || e.Requests > 290 || e.Status["201"] != int(e.Requests) {
		t.Fatalf("the 1-in-10 POST entry: %+v", e)
	}
}

func TestAbortGivesUpAShareOfRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(30 * time.Millisecond)
		}
	}))
	defer srv.Close()
	spec, entries, senders := specFor(t, srv, []RequestSpec{{Method: "GET", Path: "/slow", Weight: 1}},
		&AbortSpec{Share: 0.5, AfterS: 0.005})
	p := run(senders, spec, entries, 200, 0)
	if p.Errors != 0 || p.Aborted < 60 || p.Aborted > 140 || int64(p.Status["200"])+p.Aborted != 200 {
		t.Fatalf("want about half aborted, none failed: %+v", p)
	}
}

func TestTimedPhase(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	spec, entries, senders := specFor(t, srv, []RequestSpec{{Method: "GET", Path: "/", Weight: 1}}, nil)
	spec.Rate = 200
	p := run(senders, spec, entries, -1, 0.5)
	if p.Seconds < 0.45 || p.Seconds > 1.0 || p.Requests < 80 || p.Requests > 102 {
		t.Fatalf("0.5 s at 200/s: %+v", p)
	}
}

func TestSpecErrors(t *testing.T) {
	for line, want := range map[string]string{
		`{"base_url":"http://x","concurrency":1,"timeout_s":1,"requests":[{"method":"GET","path":"/{nope}","weight":1}]}`: "unknown variable {nope}",
		`{"base_url":"http://x","concurrency":1,"timeout_s":1,"requests":[{"method":"GET","path":"/","weight":0}]}`:       "weight > 0",
		`{"base_url":"http://x","concurrency":1,"timeout_s":1,"requests":[]}`:                                             "at least one request",
		`{"base_url":"http://x","concurrency":1,"timeout_s":1,"bogus":1}`:                                                 "unknown field",
	} {
		if _, _, err := readSpec([]byte(line)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", line, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "0s", "-2s"} {
		if _, _, err := parsePhase(bad); err == nil {
			t.Errorf("phase %q accepted", bad)
		}
	}
}

func TestHTTPSenderExpandsAndAborts(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/slow" {
			time.Sleep(30 * time.Millisecond)
		}
		if r.Header.Get("X-Id") == "" || (r.Method == "POST" && !strings.HasPrefix(string(body), `{"n": `)) {
			w.WriteHeader(400)
		}
	}))
	defer srv.Close()
	entries, err := compileEntries([]RequestSpec{
		{Method: "POST", Path: "/x?n={seq}", Body: `{"n": {seq}}`, Weight: 1, Headers: [][2]string{{"X-Id", "{uuid}"}}},
		{Method: "GET", Path: "/slow", Weight: 1, Headers: [][2]string{{"X-Id", "1"}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &httpSender{client: srv.Client(), base: srv.URL, entries: entries}
	ctx := NewContext(1, 7)
	if code, aborted, err := h.send(0, &ctx, 0); code != 200 || aborted || err != nil {
		t.Fatalf("POST with a templated body: %d %v %v", code, aborted, err)
	}
	if _, aborted, _ := h.send(1, &ctx, 5*time.Millisecond); !aborted {
		t.Fatal("a slow request past its abort time was not aborted")
	}
}
