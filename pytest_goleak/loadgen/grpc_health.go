package main

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Exit codes of -grpc-health: pytest_goleak/load.py reads them.
const (
	healthServing       = 0
	healthNotServing    = 1 // no answer yet, or an answer other than SERVING
	healthUnimplemented = 3 // the server has no grpc.health.v1 service: use the admin port
)

// checkHealth asks target's grpc.health.v1 service once, within timeout, about the whole
// server (service ""), and says what it answered.
func checkHealth(target string, timeout time.Duration) (int, string) {
	conn, err := dial(target)
	if err != nil {
		return healthNotServing, err.Error()
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	switch {
	case status.Code(err) == codes.Unimplemented:
		return healthUnimplemented, "no grpc.health.v1 service"
	case err != nil:
		return healthNotServing, err.Error()
	case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
		return healthNotServing, fmt.Sprintf("grpc.health.v1 answered %s", resp.GetStatus())
	}
	return healthServing, "SERVING"
}
