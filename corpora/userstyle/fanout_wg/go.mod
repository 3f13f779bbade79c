module example.com/fanout_wg

go 1.26
