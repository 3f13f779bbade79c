module example.com/config_watch

go 1.26
