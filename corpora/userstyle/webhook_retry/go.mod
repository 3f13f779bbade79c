module example.com/webhook_retry

go 1.26
