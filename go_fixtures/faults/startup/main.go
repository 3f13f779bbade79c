// Test fixture: a service that will not start without its command line and a config file, as
// most real services. It needs `-config PATH` (a file it reads at start) and `-greeting WORD`,
// exits with code 2 when either is missing, and serves /work with the greeting and /config with
// the file's bytes, so a test can tell that the harness passed `args:` and mounted `files:`.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func main() {
	config := flag.String("config", "", "path of the config file to serve at /config")
	greeting := flag.String("greeting", "", "what /work answers")
	flag.Parse()
	if *config == "" || *greeting == "" {
		log.Printf("faults/startup: usage: startup -config PATH -greeting WORD (got %q)", os.Args[1:])
		os.Exit(2)
	}
	body, err := os.ReadFile(*config)
	if err != nil {
		log.Printf("faults/startup: %v", err)
		os.Exit(2)
	}
	server.Run("faults/startup", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(*greeting + "\n"))
		})
		mux.HandleFunc("/config", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(body)
		})
	})
}
