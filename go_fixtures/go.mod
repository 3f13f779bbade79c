module github.com/pytest-goleak/go_fixtures

go 1.22
