// Hostile service, for a dockerfile: scenario whose image says USER 0:0: at start it logs its
// user, capabilities and no-new-privileges flag and tries to write to the image's root
// filesystem (a planted binary, /etc/passwd), as "ATTEMPT <name>:
// ok|denied: <error>" lines, then serves. The harness must run it as 65532:65532 on a read-only
// root with no capabilities unless the scenario opts out (hardening: root / writable_root).
package main

import (
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/pytest-goleak/go_fixtures/internal/attempt"
	"github.com/pytest-goleak/go_fixtures/internal/server"
)

func main() {
	log.Printf("IDENTITY uid=%d gid=%d", os.Getuid(), os.Getgid())
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "CapEff:") || strings.HasPrefix(line, "NoNewPrivs:") {
				log.Printf("IDENTITY %s", strings.Join(strings.Fields(line), " "))
			}
		}
	}
	attempt.Report("write-root-fs", os.WriteFile("/pwned", []byte("x"), 0o644))
	attempt.Report("write-etc", os.WriteFile("/etc/passwd", []byte("root::0:0::/:/app\n"), 0o644))
	server.Run("hostile/escalate", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	})
}
