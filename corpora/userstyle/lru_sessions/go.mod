module example.com/lru_sessions

go 1.26
