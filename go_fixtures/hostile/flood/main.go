// Hostile service: writes $FLOOD_MIB MiB (default 3072) of log lines to stdout while it serves,
// some of them one huge line starting with "gc " (the harness keeps lines that look like the GC
// trace). The harness must cap what the engine keeps and what it reads: pytest's memory and the
// report folder stay small, and the report says the log was cut.
package main

import (
	"bufio"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func flood(mib int) {
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	line := strings.Repeat("x", 1023) + "\n"
	huge := "gc " + strings.Repeat("y", 1<<20) // 1 MiB without a newline, many times over
	for i := 0; i < mib; i++ {
		if i%64 == 0 {
			for j := 0; j < 16; j++ {
				_, _ = out.WriteString(huge)
			}
			_, _ = out.WriteString("\n")
			continue
		}
		for j := 0; j < 1024; j++ {
			_, _ = out.WriteString(line)
		}
	}
	_ = out.Flush()
}

func main() {
	mib, err := strconv.Atoi(os.Getenv("FLOOD_MIB"))
	if err != nil || mib < 1 {
		mib = 3072
	}
	// The first MiBs before it serves: the log is past the harness's 8 MiB cap before the first
	// request, however quickly the scenario ends (the rest floods while it serves).
	first := min(mib, 8)
	flood(first)
	go flood(mib - first)
	server.Run("hostile/flood", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	})
}
