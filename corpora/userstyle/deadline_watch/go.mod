module example.com/deadline_watch

go 1.26
