module example.com/upload_expiry

go 1.26
