module example.com/udp_ack

go 1.26
