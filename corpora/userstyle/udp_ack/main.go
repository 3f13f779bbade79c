// udp_ack: an order API that tells the warehouse about every new order with a UDP datagram
// and logs the warehouse's acknowledgement when it arrives.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync/atomic"
)

var (
	orders atomic.Int64
	acked  atomic.Int64
)

// awaitAck reads the warehouse's reply to one notification and closes the socket.
func awaitAck(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, 512)
	if _, err := conn.Read(buf); err == nil {
		acked.Add(1)
	}
}

func notifyWarehouse(addr string, id int64) error {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "order %d\n", id); err != nil {
		conn.Close()
		return err
	}
	go awaitAck(conn) // don't hold the request up for the ack
	return nil
}

// fakeWarehouse receives notifications (for local runs without WAREHOUSE_ADDR); it never
// answers, like the old warehouse build still deployed in some regions.
func fakeWarehouse() string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

func main() {
	warehouse := os.Getenv("WAREHOUSE_ADDR")
	if warehouse == "" {
		warehouse = fakeWarehouse()
	}
	http.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		id := orders.Add(1)
		if err := notifyWarehouse(warehouse, id); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "order %d accepted\n", id)
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
