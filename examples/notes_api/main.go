// Command notes_api is a small authenticated JSON API, written the way a team would: POST /login
// trades a user name and password for a bearer token; with it, POST /notes stores a JSON note and
// GET /notes/{id} reads one back. Each user keeps their latest 100 notes. pprof is the stock
// net/http/pprof on the same mux.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"
	"sync"
)

const keepNotes = 100

type note struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type store struct {
	mu       sync.Mutex
	sessions map[string]string // token -> user
	notes    map[string][]note // user -> latest notes, oldest first
}

func (s *store) login(w http.ResponseWriter, r *http.Request) {
	var creds struct{ User, Password string }
	if err := json.NewDecoder(r.Body).Decode(&creds); err != nil || creds.User == "" || creds.Password != "hunter2" {
		http.Error(w, `{"error": "bad credentials"}`, http.StatusUnauthorized)
		return
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	token := hex.EncodeToString(raw)
	s.mu.Lock()
	s.sessions[token] = creds.User
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"session": map[string]string{"token": token}})
}

// user is the caller's user name, or "" when the request carries no valid token.
func (s *store) user(r *http.Request) string {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[token]
}

func (s *store) create(w http.ResponseWriter, r *http.Request) {
	user := s.user(r)
	var n note
	switch {
	case user == "":
		http.Error(w, `{"error": "log in first"}`, http.StatusUnauthorized)
		return
	case json.NewDecoder(r.Body).Decode(&n) != nil || n.ID == "":
		http.Error(w, `{"error": "want {\"id\": ..., \"text\": ...}"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	kept := append(s.notes[user], n)
	if len(kept) > keepNotes {
		kept = append([]note(nil), kept[len(kept)-keepNotes:]...)
	}
	s.notes[user] = kept
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, n)
}

func (s *store) read(w http.ResponseWriter, r *http.Request) {
	user := s.user(r)
	if user == "" {
		http.Error(w, `{"error": "log in first"}`, http.StatusUnauthorized)
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.notes[user] {
		if n.ID == id {
			writeJSON(w, http.StatusOK, n)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such note"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	s := &store{sessions: map[string]string{}, notes: map[string][]note{}}
	http.HandleFunc("POST /login", s.login)
	http.HandleFunc("POST /notes", s.create)
	http.HandleFunc("GET /notes/{id}", s.read)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	addr := ":" + os.Getenv("PORT")
	if addr == ":" {
		addr = ":8080"
	}
	log.Printf("notes_api: listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
