// Package feedsvc is what the gRPC fixtures' feed services share: every method but Subscribe,
// the one each fixture writes its own way (the leak, its fix, the benchmark's).
package feedsvc

import (
	"context"
	"io"

	"google.golang.org/grpc"

	"github.com/pytest-goleak/go_fixtures/internal/feedpb"
)

// Common answers Get, Upload and Echo; embed it and add Subscribe.
type Common struct {
	feedpb.UnimplementedFeedServer
}

// Get returns the item asked for, with a 64-byte payload.
func (Common) Get(_ context.Context, req *feedpb.GetRequest) (*feedpb.Item, error) {
	return &feedpb.Item{Id: req.GetId(), Payload: make([]byte, 64)}, nil
}

// Upload counts the items sent.
func (Common) Upload(stream grpc.ClientStreamingServer[feedpb.Item, feedpb.UploadSummary]) error {
	var n int64
	for {
		if _, err := stream.Recv(); err == io.EOF {
			return stream.SendAndClose(&feedpb.UploadSummary{Count: n})
		} else if err != nil {
			return err
		}
		n++
	}
}

// Echo answers each item with itself.
func (Common) Echo(stream grpc.BidiStreamingServer[feedpb.Item, feedpb.Item]) error {
	for {
		it, err := stream.Recv()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := stream.Send(it); err != nil {
			return err
		}
	}
}
