// Fixed twin of ../leaky (an export job registry never pruned, on a rarely hit POST endpoint):
// handleExport removes the job from jobs when it is done, so the registry holds only the jobs
// in flight.
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

func finishExport(id string) {
	mu.Lock()
	delete(jobs, id)
	mu.Unlock()
}

func handleExport(w http.ResponseWriter, r *http.Request) {
	var req exportRequest
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.ID == "" {
		http.Error(w, "POST a JSON body with an id", http.StatusBadRequest)
		return
	}
	j := startExport(req)
	defer finishExport(req.ID) // the fix: a finished job leaves the registry
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
	server.Run("rare_export/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/items/{id}", handleItem)
		mux.HandleFunc("/export", handleExport)
	})
}
