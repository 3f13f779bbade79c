// Benchmark fixture: the feed service with nothing but the calls, for the gRPC load-driver
// benchmark (benchmarks/bench_grpc.py), so the figures are the clients' and not the service's
// pace. Get answers at once; Subscribe sends the topic's 3 items and ends; Echo answers each item
// with itself. No leak. Used by benchmarks/, not scenarios/.
package main

import (
	"google.golang.org/grpc"

	"github.com/pytest-goleak/go_fixtures/internal/feedpb"
	"github.com/pytest-goleak/go_fixtures/internal/feedsvc"
	"github.com/pytest-goleak/go_fixtures/internal/grpcserver"
)

type feed struct {
	feedsvc.Common // Get, Upload, Echo
}

func (feed) Subscribe(req *feedpb.SubscribeRequest, stream grpc.ServerStreamingServer[feedpb.Item]) error {
	for seq := int64(0); seq < 3; seq++ {
		if err := stream.Send(&feedpb.Item{Topic: req.GetTopic(), Seq: seq, Payload: make([]byte, max(req.GetSize(), 0))}); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	grpcserver.Run("bench/grpc_feed", func(s *grpc.Server) { feedpb.RegisterFeedServer(s, feed{}) })
}
