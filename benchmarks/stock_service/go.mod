module example.com/stock_service

go 1.26
