module example.com/seen_tokens

go 1.26
