module example.com/metrics_mutex

go 1.26
