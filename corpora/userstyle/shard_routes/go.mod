module example.com/shard_routes

go 1.26
