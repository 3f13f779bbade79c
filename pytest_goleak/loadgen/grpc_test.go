package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// serveHealth starts an in-process gRPC server with grpc.health.v1 and reflection (a real
// server on loopback, as the fixtures run), and returns its address.
func serveHealth(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func grpcSpec(addr, call, data string, n int) *Spec {
	return &Spec{Concurrency: 2, TimeoutS: 5, GRPC: &grpcConfig{Target: addr, Call: call, Data: data, StreamMessages: n}}
}

func TestGRPCUnaryAndServerStreamThroughReflection(t *testing.T) {
	addr := serveHealth(t)
	for _, call := range []string{"grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch"} {
		senders, err := makeGRPCSenders(grpcSpec(addr, call, `{"service": ""}`, 1))
		if err != nil {
			t.Fatalf("%s: %v", call, err)
		}
		ctx := NewContext(1, 1)
		code, aborted, err := senders[0].send(0, &ctx, 0)
		if code != 0 || aborted || err != nil {
			t.Fatalf("%s: code %d, aborted %v, err %v", call, code, aborted, err)
		}
	}
}

func TestGRPCStatusCountsLikeAnHTTPStatus(t *testing.T) {
	addr := serveHealth(t)
	// grpc.health.v1 answers NOT_FOUND for a service it does not know
	senders, err := makeGRPCSenders(grpcSpec(addr, "grpc.health.v1.Health/Check", `{"service": "nope-{seq}"}`, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewContext(1, 7)
	code, _, err := senders[0].send(0, &ctx, 0)
	gs, ok := err.(*grpcStatus)
	if code != 5 || !ok || !strings.Contains(gs.Error(), "NotFound") {
		t.Fatalf("want NOT_FOUND (5) as a *grpcStatus, got %d, %v", code, err)
	}
}

func TestGRPCAbortIsCountedApart(t *testing.T) {
	addr := serveHealth(t)
	// Watch never ends by itself: read to the end (n = 0), the abort is what stops it
	senders, err := makeGRPCSenders(grpcSpec(addr, "grpc.health.v1.Health/Watch", `{}`, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewContext(1, 1)
	code, aborted, err := senders[0].send(0, &ctx, 20*time.Millisecond)
	if !aborted || err != nil {
		t.Fatalf("want an abort, got code %d, aborted %v, err %v", code, aborted, err)
	}
}

func TestGRPCBadInputIsNamed(t *testing.T) {
	addr := serveHealth(t)
	for call, want := range map[string]string{
		"grpc.health.v1.Health/Nope":  `service grpc.health.v1.Health has no method "Nope" (server reflection lists: Check, List, Watch)`,
		"no.such.Service/Call":        "the server does not offer service no.such.Service (it offers: grpc.health.v1.Health,",
		"grpc.health.v1.Health/Check": `data "{\"servic\": 1}" is not a grpc.health.v1.HealthCheckRequest in JSON`,
	} {
		_, err := makeGRPCSenders(grpcSpec(addr, call, `{"servic": 1}`, 0))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q, got %v", call, want, err)
		}
	}
}

func TestProtoFileParsedAtRunTime(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "svc.proto")
	writeFile(t, good, "syntax = \"proto3\";\npackage demo.v1;\nimport \"google/protobuf/empty.proto\";\n"+
		"service Demo { rpc Ping(google.protobuf.Empty) returns (stream google.protobuf.Empty); }\n")
	svc, err := serviceFromProto(good, nil, "demo.v1.Demo")
	if err != nil || !svc.Methods().ByName("Ping").IsStreamingServer() {
		t.Fatalf("want demo.v1.Demo with a server-streaming Ping, got %v, %v", svc, err)
	}
	bad := filepath.Join(dir, "bad.proto")
	writeFile(t, bad, "syntax = \"proto3\";\nmessage A {\n  int32 x = \n}\n")
	_, err = serviceFromProto(bad, nil, "demo.v1.Demo")
	if err == nil || !strings.Contains(err.Error(), bad+":4:1: syntax error") {
		t.Fatalf("want the file:line of the syntax error, got %v", err)
	}
	_, err = serviceFromProto(good, nil, "demo.v1.Other")
	if err == nil || !strings.Contains(err.Error(), "has no service demo.v1.Other (it has: demo.v1.Demo)") {
		t.Fatalf("want the services the file has, got %v", err)
	}
}

func TestHealthCheck(t *testing.T) {
	addr := serveHealth(t)
	if code, text := checkHealth(addr, 2*time.Second); code != healthServing {
		t.Fatalf("want SERVING, got %d %s", code, text)
	}
	bare := grpc.NewServer() // no health service: the harness falls back to the admin port
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = bare.Serve(ln) }()
	defer bare.Stop()
	if code, _ := checkHealth(ln.Addr().String(), 2*time.Second); code != healthUnimplemented {
		t.Fatalf("want unimplemented, got %d", code)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serveStreams starts a server that answers every method through one handler: Sink fails at
// once (UNIMPLEMENTED), Echo echoes, so client and bidi streams meet both ends of a call.
func serveStreams(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	proto := filepath.Join(dir, "s.proto")
	writeFile(t, proto, "syntax = \"proto3\";\npackage s.v1;\nmessage M { string text = 1; }\n"+
		"service S { rpc Sink(stream M) returns (M); rpc Echo(stream M) returns (stream M); }\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		if method, _ := grpc.MethodFromServerStream(stream); method != "/s.v1.S/Echo" {
			return status.Error(codes.Unimplemented, "no "+method)
		}
		for {
			m := &emptypb.Empty{} // keeps the message's fields as unknown fields, and sends them back
			if err := stream.RecvMsg(m); err != nil {
				return nil
			}
			if err := stream.SendMsg(m); err != nil {
				return err
			}
		}
	}))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), proto
}

func TestGRPCClientAndBidiStreams(t *testing.T) {
	addr, proto := serveStreams(t)
	for call, want := range map[string]int{"s.v1.S/Sink": int(codes.Unimplemented), "s.v1.S/Echo": 0} {
		spec := grpcSpec(addr, call, `{"text": "hi {seq}"}`, 3)
		spec.GRPC.Proto = proto
		senders, err := makeGRPCSenders(spec)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ { // a send that finds the call over must still report its status
			ctx := NewContext(1, int64(i))
			if code, _, _ := senders[i%2].send(0, &ctx, 0); code != want {
				t.Fatalf("%s call %d: want code %d, got %d", call, i, want, code)
			}
		}
	}
}
