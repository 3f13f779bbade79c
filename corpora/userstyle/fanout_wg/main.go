// fanout_wg: an inventory API that looks up several warehouses at once and reports the stock
// of each.
package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync"
)

type outcome struct {
	warehouse string
	stock     int
	err       error
}

var errRetired = errors.New("warehouse retired")

func lookup(warehouse, sku string) outcome {
	if warehouse == "leeds" {
		return outcome{warehouse: warehouse, err: errRetired}
	}
	h := fnv.New32a()
	h.Write([]byte(warehouse + "/" + sku))
	return outcome{warehouse: warehouse, stock: int(h.Sum32() % 500)}
}

// lookupAll asks every warehouse at once. The returned channel carries one outcome per
// warehouse and is closed once all lookups are done.
func lookupAll(warehouses []string, sku string) <-chan outcome {
	out := make(chan outcome, len(warehouses))
	var wg sync.WaitGroup
	wg.Add(len(warehouses))
	for _, wh := range warehouses {
		go func() {
			o := lookup(wh, sku)
			out <- o
			if o.err != nil {
				return
			}
			wg.Done()
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

var warehouses = []string{"bristol", "leeds", "york"}

func stock(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("sku")
	if sku == "" {
		sku = "A-100"
	}
	out := lookupAll(warehouses, sku)
	var b strings.Builder
	for range warehouses {
		o := <-out
		if o.err != nil {
			fmt.Fprintf(&b, "%s: %v\n", o.warehouse, o.err)
			continue
		}
		fmt.Fprintf(&b, "%s: %d\n", o.warehouse, o.stock)
	}
	w.Write([]byte(b.String()))
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stock", stock)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	addr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		addr = ":" + p
	}
	log.Fatal(http.ListenAndServe(addr, mux))
}
