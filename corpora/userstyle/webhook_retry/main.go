// webhook_retry: records signups and notifies a partner's webhook about each one. A failed
// delivery is retried an hour later.
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

type signup struct {
	ID      int64     `json:"id"`
	Email   string    `json:"email"`
	At      time.Time `json:"at"`
	Profile string    `json:"profile"`
}

var (
	nextID     atomic.Int64
	webhookURL = os.Getenv("WEBHOOK_URL")
	client     = &http.Client{Timeout: 2 * time.Second}
)

func deliver(payload []byte) error {
	if webhookURL == "" {
		return errNoWebhook
	}
	resp, err := client.Post(webhookURL, "application/json", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

type webhookError string

func (e webhookError) Error() string { return string(e) }

const errNoWebhook = webhookError("no webhook configured")

// scheduleRetry delivers the event again after an hour.
func scheduleRetry(ev signup) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return
	}
	id := ev.ID
	go func() {
		time.Sleep(time.Hour)
		if err := deliver(payload); err != nil {
			log.Printf("webhook retry for signup %d: %v", id, err)
		}
	}()
}

func signupHandler(w http.ResponseWriter, r *http.Request) {
	ev := signup{ID: nextID.Add(1), Email: "user@example.com", At: time.Now(),
		Profile: strings.Repeat("x", 1500)}
	payload, _ := json.Marshal(ev)
	if err := deliver(payload); err != nil {
		scheduleRetry(ev)
	}
	w.WriteHeader(http.StatusCreated)
	w.Write([]byte("welcome\n"))
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/signup", signupHandler)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
