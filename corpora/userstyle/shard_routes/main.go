// shard_routes: a router in front of 3,000 shards. Each request goes to a random shard and the
// shard's route (16 B) is resolved and cached on first use, so the cache warms ever more slowly
// as fewer shards are new: about 1,550 cached after 2,200 requests, 2,800 after 8,200, never more
// than 3,000.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof"
	"sync"
)

const shards = 3000

type route struct {
	host uint64
	port uint64
}

var routes struct {
	sync.RWMutex
	m map[int]route
}

func resolve(shard int) route {
	routes.RLock()
	r, ok := routes.m[shard]
	routes.RUnlock()
	if ok {
		return r
	}
	r = route{host: uint64(shard) * 2654435761, port: 7000 + uint64(shard%100)}
	routes.Lock()
	routes.m[shard] = r
	routes.Unlock()
	return r
}

func main() {
	routes.m = make(map[int]route)
	http.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		rt := resolve(rand.IntN(shards))
		fmt.Fprintf(w, "routed to %x:%d\n", rt.host, rt.port)
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
