module example.com/notes_api

go 1.22
