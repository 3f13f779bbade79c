module example.com/batch_dedup

go 1.26
