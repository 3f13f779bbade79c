// Fixed twin of ../leaky (a per-session audit trail never trimmed, behind a login): audit keeps
// the latest 100 records of a session in a ring, so a session's history stops growing after
// its first 100 requests.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const (
	recordSize = 1024
	maxHistory = 100
)

type session struct {
	user    string
	history [][]byte
	next    int
}

var (
	mu       sync.Mutex
	sessions = map[string]*session{}
)

func handleLogin(w http.ResponseWriter, r *http.Request) {
	var creds struct{ User, Password string }
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&creds) != nil ||
		creds.User == "" || creds.Password != "secret" {
		http.Error(w, "bad credentials", http.StatusUnauthorized)
		return
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	token := hex.EncodeToString(raw)
	mu.Lock()
	sessions[token] = &session{user: creds.User}
	mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": token})
}

// audit records one request in the session's history.
func audit(s *session, r *http.Request) {
	record := make([]byte, recordSize)
	copy(record, r.Method+" "+r.URL.RequestURI())
	if len(s.history) < maxHistory { // the fix: a ring of the latest records
		s.history = append(s.history, record)
		return
	}
	s.history[s.next] = record
	s.next = (s.next + 1) % maxHistory
}

func handleOrders(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	mu.Lock()
	defer mu.Unlock()
	s := sessions[token]
	if !ok || s == nil {
		http.Error(w, "log in first", http.StatusUnauthorized)
		return
	}
	audit(s, r)
	_, _ = w.Write([]byte(`{"orders": []}`))
}

func main() {
	server.Run("login_session/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/login", handleLogin)
		mux.HandleFunc("/orders", handleOrders)
	})
}
