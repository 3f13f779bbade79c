// Leak: a profile cache keyed by the client's own user id, never bounded. handleProfile renders
// a 1 KiB profile for the ?user= it is asked for and keeps it in profiles for ever (remember), so
// the heap grows by one entry per distinct user. A load that sends one fixed user id never sees
// it grow: only per-request ids (load.path /profile?user={seq}) reach the leak.
// Fix (../fixed): remember evicts the least recently used profile beyond 1,000 users.
package main

import (
	"container/list"
	"net/http"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const profileSize = 1024

type cached struct {
	user    string
	profile []byte
}

var (
	mu       sync.Mutex
	profiles = map[string]*list.Element{}
	recent   = list.New() // most recently used first
)

func render(user string) []byte {
	profile := make([]byte, profileSize)
	copy(profile, "profile of "+user)
	return profile
}

func remember(user string) []byte {
	mu.Lock()
	defer mu.Unlock()
	if el, ok := profiles[user]; ok {
		recent.MoveToFront(el)
		return el.Value.(*cached).profile
	}
	c := &cached{user: user, profile: render(user)}
	profiles[user] = recent.PushFront(c)
	return c.profile
}

func handleProfile(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if user == "" {
		http.Error(w, "user required", http.StatusBadRequest)
		return
	}
	_, _ = w.Write(remember(user)[:32])
}

func main() {
	server.Run("client_cache/leaky", func(mux *http.ServeMux) {
		mux.HandleFunc("/profile", handleProfile)
	})
}
