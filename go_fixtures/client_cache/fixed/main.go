// Fixed twin of ../leaky (a per-user profile cache without a bound), and a trap: a per-client
// LRU that fills during the run. remember evicts the least recently used profile beyond 1,000
// users, so the cache grows for the first 1,000 distinct users of the run and then stays flat.
package main

import (
	"container/list"
	"net/http"
	"sync"

	"github.com/pytest-goleak/go_fixtures/internal/server"
)

const (
	profileSize = 1024
	maxUsers    = 1000
)

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
	if recent.Len() > maxUsers { // the fix: evict the least recently used user
		delete(profiles, recent.Remove(recent.Back()).(*cached).user)
	}
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
	server.Run("client_cache/fixed", func(mux *http.ServeMux) {
		mux.HandleFunc("/profile", handleProfile)
	})
}
