module example.com/ring_recent

go 1.26
