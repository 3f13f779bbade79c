// The wrapper that makes one GoBench "goker" case an HTTP service a user could have written.
//
// pytest-goleak copies this file, unchanged, next to one case file taken from the user's own Go
// installation ($GOROOT/src/runtime/testdata/testgoroutineleakprofile/goker/<case>.go) and
// builds the two as one main package. This file stands in for goker's own main.go: it defines
// what the case files call (register, registerInit, yieldCount) and serves HTTP on $PORT with
// stock net/http/pprof. Every GET /run runs the case once; the goroutines it leaks stay behind.
//
// How the cases end, and how the wrapper lives with it: each case function defers a wait (a
// 100 ms sleep or yieldCount calls to runtime.Gosched, so that its goroutines reach the point
// where they block) and then pprof.Lookup("goroutineleak").WriteTo(os.Stdout, 2).
//   - os.Stdout is replaced by a discarding file before the first run, so the dump of every
//     goroutine's stack that debug=2 writes goes nowhere (and not into the container's log,
//     where the harness reads GODEBUG=gctrace lines).
//   - With the goroutineleak profile (Go 1.26 built with GOEXPERIMENT=goroutineleakprofile,
//     which the harness does), that call also runs one leak-detecting GC cycle per request: a
//     cost the harness's figures include, and harmless to them (the heap figures come from the
//     harness's own forced GC; leaked goroutines stay counted in the goroutine profile).
//   - Without it, Lookup returns nil and WriteTo panics on the nil profile after the case has
//     run; the wrapper recovers that one panic and counts the run as done. Any other panic is
//     a 500, so the harness's load-quality rule turns it into an error verdict.
package main

import (
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" // stock pprof on http.DefaultServeMux, as a user would add it
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync/atomic"
)

// yieldCount is goker's constant: how often a case's main goroutine yields before it profiles.
const yieldCount = 10

var cmds = map[string]func(){}

func register(name string, f func()) {
	if cmds[name] != nil {
		panic("duplicate registration: " + name)
	}
	cmds[name] = f
}

// registerInit is goker's hook for a case that runs from init when named on the command line.
// A service has no such command line: the case is registered like any other and runs per request.
func registerInit(name string, f func()) { register(name, f) }

var (
	runs          atomic.Int64
	leakProfileOK = pprof.Lookup("goroutineleak") != nil
)

func main() {
	if devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = devnull
	} else {
		os.Stdout = discardPipe()
	}
	name, run := onlyCase()
	http.HandleFunc("/run", func(w http.ResponseWriter, _ *http.Request) {
		if run == nil {
			http.Error(w, "no goker case is registered in this build", http.StatusInternalServerError)
			return
		}
		if err := runOnce(run); err != nil {
			http.Error(w, fmt.Sprintf("%s: %v", name, err), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s run %d\n", name, runs.Add(1))
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	fmt.Fprintf(os.Stderr, "goker case %s listening on :%s (goroutineleak profile: %v)\n", name, port, leakProfileOK)
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// onlyCase is the one case in this build (the first by name, should there be more).
func onlyCase() (string, func()) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names)
	return names[0], cmds[names[0]]
}

// runOnce runs the case; the nil-profile panic of a build without the leak profile is not an error.
func runOnce(run func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if re, ok := p.(runtime.Error); ok && !leakProfileOK && isNilDeref(re) {
				return
			}
			err = fmt.Errorf("the case panicked: %v", p)
		}
	}()
	run()
	return nil
}

func isNilDeref(e runtime.Error) bool {
	return e.Error() == "runtime error: invalid memory address or nil pointer dereference"
}

func discardPipe() *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		return nil // writes to a nil *os.File fail with ErrInvalid, which the cases ignore
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return w
}
