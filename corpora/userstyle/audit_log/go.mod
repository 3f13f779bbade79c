module example.com/audit_log

go 1.26
