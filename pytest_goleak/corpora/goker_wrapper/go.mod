module goleak.invalid/gokerwrapper

go 1.22
