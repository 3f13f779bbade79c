module example.com/fanout_churn

go 1.26
