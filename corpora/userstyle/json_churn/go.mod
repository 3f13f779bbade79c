module example.com/json_churn

go 1.26
