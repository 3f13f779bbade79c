// Leak: an export job registry that is never pruned, on an endpoint that takes a tenth of the
// traffic. handleExport decodes a POSTed JSON body, registers the job with its 8 KiB buffer in
// jobs (startExport) and answers 202; the job is never removed once done. GET /items, nine
// requests in ten, is clean, so only a mix that POSTs a body to /export reaches the leak.
// Fix (../fixed): handleExport removes the job from jobs when it is done.
package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const bufferSize = 8 << 10

type exportRequest struct {
	ID     string `json:"id"`
	Format string `json:"format"`
}

type job struct {
	req    exportRequest
	buffer []byte
}

var (
	mu   sync.Mutex
	jobs = map[string]*job{}
)

func startExport(req exportRequest) *job {
	j := &job{req: req, buffer: make([]byte, bufferSize)}
	copy(j.buffer, req.Format)
	mu.Lock()
	jobs[req.ID] = j
	mu.Unlock()
	return j
}

func handleExport(w http.ResponseWriter, r *http.Request) {
	var req exportRequest
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.ID == "" {
		http.Error(w, "POST a JSON body with an id", http.StatusBadRequest)
		return
	}
	j := startExport(req)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(j.buffer[:16])
}

func handleItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad item id", http.StatusBadRequest)
		return
	}
	_, _ = w.Write([]byte("item " + strconv.Itoa(id) + "\n"))
}

func main() {
	server.Run("rare_export/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/items/{id}", handleItem)
		mux.HandleFunc("/export", handleExport)
	})
}
