// Leak: a gRPC server-stream producer that ignores the stream's context. Subscribe starts
// produce in a goroutine that sends the topic's items into an unbuffered channel, and forwards
// them to the client. When the client has read what it wanted and cancels the stream (the load
// reads 3 items, then cancels), Send fails and Subscribe returns, but produce is still blocked on
// `out <- item` (state "chan send") with the item and its payload, for ever: one goroutine and
// one buffer per cancelled stream, while every call ends as the client meant it to.
// Fix (../fixed): produce takes the stream's context and selects on ctx.Done() beside the send.
package main

import (
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

// produce sends the topic's items, in order, then closes out.
func produce(req *feedpb.SubscribeRequest, out chan<- *feedpb.Item) {
	defer close(out)
	for seq := int64(0); seq < topicLength; seq++ {
		nextEvent()
		out <- item(req.GetTopic(), seq, req.GetSize())
	}
}

func (feed) Subscribe(req *feedpb.SubscribeRequest, stream grpc.ServerStreamingServer[feedpb.Item]) error {
	items := make(chan *feedpb.Item)
	go produce(req, items)
	for it := range items {
		if err := stream.Send(it); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	grpcserver.Run("grpc_stream/leaky", func(s *grpc.Server) { feedpb.RegisterFeedServer(s, feed{}) })
}
