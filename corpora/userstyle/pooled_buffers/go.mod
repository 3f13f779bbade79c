module example.com/pooled_buffers

go 1.26
