// Calibration, expect clean: heavy allocation, all of it garbage. churn allocates 512 KiB
// per request in 64 KiB chunks, touches every page and keeps only a checksum, so the heap
// swings by megabytes between collections while nothing is retained. HeapInuse read without
// a forced GC, or RSS, is noisy here; a harness that mistakes the noise for growth fails it.
package main

import (
	"fmt"
	"hash/crc32"
	"net/http"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const (
	chunk  = 64 << 10
	chunks = 8
)

func churn(seed byte) uint32 {
	var sum uint32
	for i := range chunks {
		buf := make([]byte, chunk)
		for j := 0; j < len(buf); j += 4096 {
			buf[j] = seed + byte(i)
		}
		sum = crc32.Update(sum, crc32.IEEETable, buf[:4096])
	}
	return sum
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	_, _ = fmt.Fprintf(w, "%08x\n", churn(byte(len(r.URL.RawQuery))))
}

func main() {
	server.Run("alloc_heavy", func(mux *http.ServeMux) {
		mux.HandleFunc("/work", handleWork)
	})
}
