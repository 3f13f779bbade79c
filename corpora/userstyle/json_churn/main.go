// json_churn: a report API that builds a sizeable JSON report on every request, sorts and
// filters it, and sends a summary. Nothing is kept between requests.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sort"
	"strings"
)

type line struct {
	SKU      string   `json:"sku"`
	Name     string   `json:"name"`
	Quantity int      `json:"quantity"`
	Price    float64  `json:"price"`
	Tags     []string `json:"tags"`
}

func buildReport(n int) []line {
	lines := make([]line, n)
	for i := range lines {
		lines[i] = line{
			SKU:      fmt.Sprintf("SKU-%06d", rand.IntN(1_000_000)),
			Name:     strings.Repeat("widget ", 1+rand.IntN(6)),
			Quantity: rand.IntN(100),
			Price:    float64(rand.IntN(10_000)) / 100,
			Tags:     []string{"stock", fmt.Sprint("bin-", rand.IntN(40))},
		}
	}
	return lines
}

func report(w http.ResponseWriter, r *http.Request) {
	lines := buildReport(400)
	raw, err := json.Marshal(lines)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var decoded []line
	if err := json.Unmarshal(raw, &decoded); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sort.Slice(decoded, func(i, j int) bool { return decoded[i].Price > decoded[j].Price })
	total := 0.0
	for _, l := range decoded {
		total += l.Price * float64(l.Quantity)
	}
	fmt.Fprintf(w, "%d lines, %d bytes, top %s, total %.2f\n", len(decoded), len(raw), decoded[0].SKU, total)
}

func main() {
	http.HandleFunc("/report", report)
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
