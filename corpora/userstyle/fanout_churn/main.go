// fanout_churn: a search API that splits every query over a variable number of shards and
// searches them in parallel, one goroutine per shard. All of them finish before it answers.
package main

import (
	"fmt"
	"hash/crc32"
	"log"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof"
	"sync"
)

func searchShard(shard int, q string) int {
	h := crc32.NewIEEE()
	for i := 0; i < 50; i++ {
		fmt.Fprintf(h, "%d/%s/%d", shard, q, i)
	}
	return int(h.Sum32() % 7)
}

func search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	// Big tenants have many shards: most queries touch a few, a few touch hundreds.
	shards := 1 + rand.IntN(1+rand.IntN(1+rand.IntN(400)))
	hits := make([]int, shards)
	var wg sync.WaitGroup
	for s := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hits[s] = searchShard(s, q)
		}()
	}
	wg.Wait()
	total := 0
	for _, h := range hits {
		total += h
	}
	fmt.Fprintf(w, "%d hits over %d shards\n", total, shards)
}

func main() {
	http.HandleFunc("/search", search)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
