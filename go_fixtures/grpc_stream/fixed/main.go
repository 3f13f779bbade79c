// Fixed twin of ../leaky: produce takes the stream's context and stops when the client cancels.
package main

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/pytest-goleak/go_fixtures/internal/feedpb"
	"github.com/pytest-goleak/go_fixtures/internal/feedsvc"
	"github.com/pytest-goleak/go_fixtures/internal/grpcserver"
)

// topicLength is how many items a topic has: far more than a client that cancels reads.
const topicLength = 1000

// nextEvent stands in for waiting on the topic's next event (a broker, a change feed).
func nextEvent() { time.Sleep(200 * time.Microsecond) }

type feed struct {
	feedsvc.Common // Get, Upload, Echo
}

func item(topic string, seq int64, size int32) *feedpb.Item {
	return &feedpb.Item{Topic: topic, Seq: seq, Payload: make([]byte, max(size, 0))}
}

// produce sends the topic's items, in order, then closes out; it stops when ctx is done.
func produce(ctx context.Context, req *feedpb.SubscribeRequest, out chan<- *feedpb.Item) {
	defer close(out)
	for seq := int64(0); seq < topicLength; seq++ {
		nextEvent()
		select {
		case out <- item(req.GetTopic(), seq, req.GetSize()):
		case <-ctx.Done():
			return
		}
	}
}

func (feed) Subscribe(req *feedpb.SubscribeRequest, stream grpc.ServerStreamingServer[feedpb.Item]) error {
	items := make(chan *feedpb.Item)
	go produce(stream.Context(), req, items)
	for it := range items {
		if err := stream.Send(it); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	grpcserver.Run("grpc_stream/fixed", func(s *grpc.Server) { feedpb.RegisterFeedServer(s, feed{}) })
}
