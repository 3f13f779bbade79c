module example.com/hit_list

go 1.26
