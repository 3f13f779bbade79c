module example.com/silent_port

go 1.26
