package main

// The gRPC load: one method called over and over, described by Spec.GRPC (grpcConfig).
// The request is built once from JSON with the method's input descriptor (from a .proto file
// parsed at run time, or from the server's reflection service), marshalled once, and sent as
// raw bytes through a pass-through codec; responses are read off the wire and not decoded, as
// the HTTP driver skips bodies. Every call carries the per-request deadline.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
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

// grpcConfig is Spec.GRPC (pytest_goleak/grpcload.py writes it). Data and the metadata values
// are templates (template.go), expanded per call when they hold a per-request variable.
type grpcConfig struct {
	Target         string            `json:"target"` // host:port
	Call           string            `json:"call"`   // package.Service/Method
	Data           string            `json:"data"`   // the request message as JSON
	Proto          string            `json:"proto"`  // a .proto file; empty: server reflection
	ImportPaths    []string          `json:"import_paths"`
	Metadata       map[string]string `json:"metadata"`
	StreamMessages int               `json:"stream_messages"` // 0: a server stream is read to its end
}

// grpcMethod is a resolved call: what kind of stream, and how to make its request.
type grpcMethod struct {
	path     string // "/package.Service/Method"
	desc     grpc.StreamDesc
	input    protoreflect.MessageDescriptor
	data     *Template
	request  []byte // the marshalled request when data is static
	md       metadata.MD
	mdExpand map[string]*Template // metadata values with per-request variables
	n        int
	timeout  time.Duration
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

// dial never goes through HTTPS_PROXY: the target is a fixture on loopback or on this host's
// Docker bridge, which a CI runner's proxy cannot reach.
func dial(target string) (*grpc.ClientConn, error) {
	return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithNoProxy())
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
func resolveMethod(g *grpcConfig, vars map[string]string, conn *grpc.ClientConn, timeout time.Duration) (*grpcMethod, error) {
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
		source := "server reflection"
		if g.Proto != "" {
			source = g.Proto
		}
		return nil, fmt.Errorf("service %s has no method %q (%s lists: %s)", svcName, methodName, source, methodNames(svc))
	}
	m := &grpcMethod{
		path:    fmt.Sprintf("/%s/%s", svcName, methodName),
		desc:    grpc.StreamDesc{StreamName: string(methodName), ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()},
		input:   md.Input(),
		md:      metadata.MD{},
		n:       g.StreamMessages,
		timeout: timeout,
	}
	if err := m.compile(g, vars); err != nil {
		return nil, err
	}
	return m, nil
}

// compile prepares data and metadata: a static request is built and checked once; a templated
// one is checked now with a sample expansion, and built per call.
func (m *grpcMethod) compile(g *grpcConfig, vars map[string]string) error {
	data := g.Data
	if strings.TrimSpace(data) == "" {
		data = "{}"
	}
	var err error
	if m.data, err = Compile(data, vars); err != nil {
		return fmt.Errorf("data: %v", err)
	}
	sample := NewContext(0, 0)
	if m.request, err = m.marshal(&sample); err != nil {
		return err
	}
	if !m.data.Static() {
		m.request = nil
	}
	for k, v := range g.Metadata {
		t, err := Compile(v, vars)
		if err != nil {
			return fmt.Errorf("metadata %s: %v", k, err)
		}
		if t.Static() {
			m.md.Append(k, t.Expand(&sample))
			continue
		}
		if m.mdExpand == nil {
			m.mdExpand = map[string]*Template{}
		}
		m.mdExpand[strings.ToLower(k)] = t
	}
	return nil
}

// marshal builds the request message from data expanded for ctx.
func (m *grpcMethod) marshal(ctx *Context) ([]byte, error) {
	text := m.data.Expand(ctx)
	msg := dynamicpb.NewMessage(m.input)
	if err := protojson.Unmarshal([]byte(text), msg); err != nil {
		return nil, fmt.Errorf("data %q is not a %s in JSON: %v", text, m.input.FullName(), err)
	}
	return proto.Marshal(msg)
}

func methodNames(svc protoreflect.ServiceDescriptor) string {
	var names []string
	for i := 0; i < svc.Methods().Len(); i++ {
		names = append(names, string(svc.Methods().Get(i).Name()))
	}
	return strings.Join(names, ", ")
}

// makeGRPCSenders opens spec.Concurrency connections (one per worker, as the HTTP driver does)
// and returns one sender per worker.
func makeGRPCSenders(spec *Spec) ([]sender, error) {
	senders := make([]sender, spec.Concurrency)
	var m *grpcMethod
	for i := range senders {
		conn, err := dial(spec.GRPC.Target)
		if err != nil {
			return nil, fmt.Errorf("cannot dial %s: %v", spec.GRPC.Target, err)
		}
		if m == nil {
			if m, err = resolveMethod(spec.GRPC, spec.Vars, conn, spec.timeout()); err != nil {
				return nil, err
			}
		}
		senders[i] = &grpcSender{m: m, conn: conn}
	}
	return senders, nil
}

type grpcSender struct {
	m    *grpcMethod
	conn *grpc.ClientConn
}

// send makes one call and returns its status code; a non-OK status comes back as *grpcStatus.
// With abortAfter, the call is cancelled that long after it starts (load.abort): aborted.
func (s *grpcSender) send(_ int, tctx *Context, abortAfter time.Duration) (int, bool, error) {
	m := s.m
	request := m.request
	if request == nil {
		var err error
		if request, err = m.marshal(tctx); err != nil {
			return 0, false, err
		}
	}
	md := m.md
	if m.mdExpand != nil {
		md = m.md.Copy()
		for k, t := range m.mdExpand {
			md.Append(k, t.Expand(tctx))
		}
	}
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), m.timeout)
	defer cancel()
	var aborted atomic.Bool
	if abortAfter > 0 {
		t := time.AfterFunc(abortAfter, func() { aborted.Store(true); cancel() })
		defer t.Stop()
	}
	var err error
	if !m.desc.ServerStreams && !m.desc.ClientStreams {
		var sink []byte
		err = s.conn.Invoke(ctx, m.path, &request, &sink, passThrough)
	} else {
		err = m.stream(ctx, s.conn, request)
	}
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return int(codes.OK), false, nil
	case aborted.Load():
		return 0, true, nil
	}
	st := status.Convert(err)
	return int(st.Code()), false, &grpcStatus{code: st.Code(), msg: st.Message()}
}

// stream drives one streaming call: a server stream reads n messages (all when n is 0) and then
// cancels; a client stream sends n messages (at least one) and reads the answer; a bidi stream
// sends n messages (at least one) and closes its side while it reads the answers to the end.
func (m *grpcMethod) stream(ctx context.Context, conn *grpc.ClientConn, request []byte) error {
	cs, err := conn.NewStream(ctx, &m.desc, m.path, passThrough)
	if err != nil {
		return err
	}
	var sink []byte
	switch {
	case !m.desc.ClientStreams: // server streaming
		if err := send(cs, request); err != nil {
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
			if err := send(cs, request); err != nil {
				return err
			}
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		return cs.RecvMsg(&sink)
	default: // bidi: sends and reads at once, as a client with its own sender does
		sent := make(chan error, 1)
		go func() {
			for i := 0; i < max(m.n, 1); i++ {
				if err := cs.SendMsg(&request); err != nil {
					sent <- err
					return
				}
			}
			sent <- cs.CloseSend()
		}()
		for {
			if err := cs.RecvMsg(&sink); err != nil {
				// the sender ends too: a finished stream fails its sends
				if sendErr := <-sent; errors.Is(err, io.EOF) && sendErr != nil && !errors.Is(sendErr, io.EOF) {
					return sendErr
				}
				return err // io.EOF when the server ends the call
			}
		}
	}
}

// send sends one message; when the server has already ended the call (io.EOF), it returns the
// call's status instead, which only RecvMsg can tell.
func send(cs grpc.ClientStream, request []byte) error {
	err := cs.SendMsg(&request)
	if !errors.Is(err, io.EOF) {
		return err
	}
	var sink []byte
	for {
		if err := cs.RecvMsg(&sink); err != nil {
			return err
		}
	}
}
