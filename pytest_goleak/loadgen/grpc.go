package main

// The gRPC load: one method called over and over, described by -grpc (a JSON grpcConfig).
// The request is built once from JSON with the method's input descriptor (from a .proto file
// parsed at run time, or from the server's reflection service), marshalled once, and sent as
// raw bytes through a pass-through codec; responses are read off the wire and not decoded, as
// the HTTP driver skips bodies. Every call carries the per-request deadline.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// grpcConfig is what -grpc carries (pytest_goleak/load.py writes it).
type grpcConfig struct {
	Target         string            `json:"target"` // host:port
	Call           string            `json:"call"`   // package.Service/Method
	Data           string            `json:"data"`   // the request message as JSON
	Proto          string            `json:"proto"`  // a .proto file; empty: server reflection
	ImportPaths    []string          `json:"import_paths"`
	Metadata       map[string]string `json:"metadata"`
	StreamMessages int               `json:"stream_messages"` // 0: a server stream is read to its end
}

// grpcMethod is a resolved call: what kind of stream, and the request bytes.
type grpcMethod struct {
	path    string // "/package.Service/Method"
	desc    grpc.StreamDesc
	request []byte
	md      metadata.MD
	n       int
	timeout time.Duration
}

// grpcStatus is a call that ended with a non-OK status: its code counts like an HTTP status, its
// message is the phase's first error.
type grpcStatus struct {
	code codes.Code
	msg  string
}

func (e *grpcStatus) Error() string { return fmt.Sprintf("%s: %s", e.code, e.msg) }

// rawCodec passes pre-marshalled request bytes through and drops responses unread. It keeps the
// name "proto", so the wire format (application/grpc+proto) is what any client sends.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal([]byte, any) error   { return nil }
func (rawCodec) Name() string                  { return "proto" }

var passThrough = grpc.ForceCodec(rawCodec{})

func parseGRPCConfig(text string) (*grpcConfig, error) {
	var g grpcConfig
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("bad -grpc config: %v", err)
	}
	if g.Target == "" || g.Call == "" {
		return nil, errors.New("bad -grpc config: target and call are required")
	}
	return &g, nil
}

func dial(target string) (*grpc.ClientConn, error) {
	return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// splitCall turns "package.Service/Method" (or "package.Service.Method") into its two names.
func splitCall(call string) (protoreflect.FullName, protoreflect.Name, error) {
	call = strings.TrimPrefix(call, "/")
	i := strings.LastIndexAny(call, "/.")
	if i <= 0 || i == len(call)-1 {
		return "", "", fmt.Errorf("call %q is not package.Service/Method", call)
	}
	return protoreflect.FullName(call[:i]), protoreflect.Name(call[i+1:]), nil
}

// resolveMethod finds the method's descriptor and builds its request once.
func resolveMethod(g *grpcConfig, conn *grpc.ClientConn, timeout time.Duration) (*grpcMethod, error) {
	svcName, methodName, err := splitCall(g.Call)
	if err != nil {
		return nil, err
	}
	var svc protoreflect.ServiceDescriptor
	if g.Proto != "" {
		svc, err = serviceFromProto(g.Proto, g.ImportPaths, svcName)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		svc, err = serviceFromReflection(ctx, conn, svcName)
	}
	if err != nil {
		return nil, err
	}
	md := svc.Methods().ByName(methodName)
	if md == nil {
		return nil, fmt.Errorf("service %s has no method %q (it has: %s)", svcName, methodName, methodNames(svc))
	}
	msg := dynamicpb.NewMessage(md.Input())
	if strings.TrimSpace(g.Data) != "" {
		if err := protojson.Unmarshal([]byte(g.Data), msg); err != nil {
			return nil, fmt.Errorf("data %q is not a %s in JSON: %v", g.Data, md.Input().FullName(), err)
		}
	}
	request, err := proto.Marshal(msg)
	if err != nil {
		return nil, err
	}
	out := &grpcMethod{
		path:    fmt.Sprintf("/%s/%s", svcName, methodName),
		desc:    grpc.StreamDesc{StreamName: string(methodName), ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()},
		request: request,
		md:      metadata.New(g.Metadata),
		n:       g.StreamMessages,
		timeout: timeout,
	}
	return out, nil
}

func methodNames(svc protoreflect.ServiceDescriptor) string {
	var names []string
	for i := 0; i < svc.Methods().Len(); i++ {
		names = append(names, string(svc.Methods().Get(i).Name()))
	}
	return strings.Join(names, ", ")
}

// makeGRPCSenders opens cfg.concurrency connections (one per worker, as the HTTP driver does)
// and returns one sender per worker.
func makeGRPCSenders(cfg *config) ([]sender, error) {
	conns := make([]*grpc.ClientConn, cfg.concurrency)
	for i := range conns {
		conn, err := dial(cfg.grpc.Target)
		if err != nil {
			return nil, fmt.Errorf("cannot dial %s: %v", cfg.grpc.Target, err)
		}
		conns[i] = conn
	}
	m, err := resolveMethod(cfg.grpc, conns[0], cfg.timeout)
	if err != nil {
		return nil, err
	}
	senders := make([]sender, len(conns))
	for i, conn := range conns {
		senders[i] = func() (int, error) { return m.call(conn) }
	}
	return senders, nil
}

// call makes one call and returns its status code; a non-OK status comes back as *grpcStatus.
func (m *grpcMethod) call(conn *grpc.ClientConn) (int, error) {
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), m.md), m.timeout)
	defer cancel()
	var err error
	switch {
	case !m.desc.ServerStreams && !m.desc.ClientStreams:
		var sink []byte
		err = conn.Invoke(ctx, m.path, &m.request, &sink, passThrough)
	default:
		err = m.stream(ctx, conn)
	}
	if err == nil || errors.Is(err, io.EOF) {
		return int(codes.OK), nil
	}
	st := status.Convert(err)
	return int(st.Code()), &grpcStatus{code: st.Code(), msg: st.Message()}
}

// stream drives one streaming call: a server stream reads n messages (all when n is 0) and then
// cancels; a client stream sends n messages (at least one) and reads the answer; a bidi stream
// sends and reads n times (at least once), then closes its side and reads the end.
func (m *grpcMethod) stream(ctx context.Context, conn *grpc.ClientConn) error {
	cs, err := conn.NewStream(ctx, &m.desc, m.path, passThrough)
	if err != nil {
		return err
	}
	var sink []byte
	switch {
	case !m.desc.ClientStreams: // server streaming
		if err := cs.SendMsg(&m.request); err != nil {
			return err
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		for i := 0; m.n == 0 || i < m.n; i++ {
			if err := cs.RecvMsg(&sink); err != nil {
				return err
			}
		}
		return nil // the caller's cancel ends the stream: the client has read what it wanted
	case !m.desc.ServerStreams: // client streaming
		for i := 0; i < max(m.n, 1); i++ {
			if err := cs.SendMsg(&m.request); err != nil {
				return err
			}
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		return cs.RecvMsg(&sink)
	default: // bidi
		for i := 0; i < max(m.n, 1); i++ {
			if err := cs.SendMsg(&m.request); err != nil {
				return err
			}
			if err := cs.RecvMsg(&sink); err != nil {
				return err
			}
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		return cs.RecvMsg(&sink) // io.EOF when the server ends the call
	}
}
