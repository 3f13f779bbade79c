module github.com/pytest-goleak/loadgen

go 1.22
