// audit_log: a document API that keeps an audit trail of every request. The trail lives in
// memory until a shipper sends it to long-term storage.
package main

import (
	"encoding/binary"
	"log"
	"net/http"
	_ "net/http/pprof"
	"strconv"
	"sync"
	"time"
)

// auditEvent is a fixed-size record (128 bytes), so the trail is one flat array.
type auditEvent struct {
	at      int64
	latency int64
	status  int32
	bytes   int32
	method  [8]byte
	path    [64]byte
	remote  [32]byte
}

var trail struct {
	sync.Mutex
	events  []auditEvent
	shipped int // events before this index have been shipped
}

func appendAudit(r *http.Request, status, n int, started time.Time) {
	var e auditEvent
	e.at = started.UnixNano()
	e.latency = int64(time.Since(started))
	e.status = int32(status)
	e.bytes = int32(n)
	copy(e.method[:], r.Method)
	copy(e.path[:], r.URL.Path)
	copy(e.remote[:], r.RemoteAddr)
	trail.Lock()
	trail.events = append(trail.events, e)
	trail.Unlock()
}

func document(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	id := r.URL.Query().Get("id")
	if id == "" {
		id = "1"
	}
	var sum [8]byte
	binary.LittleEndian.PutUint64(sum[:], uint64(len(id))*2654435761)
	body := "document " + id + " checksum " + strconv.FormatUint(binary.LittleEndian.Uint64(sum[:]), 16) + "\n"
	n, _ := w.Write([]byte(body))
	appendAudit(r, http.StatusOK, n, started)
}

func main() {
	http.HandleFunc("/document", document)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
