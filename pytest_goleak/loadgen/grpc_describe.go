package main

// Where a gRPC method's descriptor comes from: a .proto file parsed at run time (protocompile,
// the parser behind buf), or the server's reflection service (grpc.reflection.v1), as grpcurl
// and ghz do it.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// serviceFromProto parses file (with its imports, looked up in importPaths, the file's own
// directory, then the well-known types) and finds the service in it.
func serviceFromProto(file string, importPaths []string, name protoreflect.FullName) (protoreflect.ServiceDescriptor, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("proto file %s: %v", file, err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	paths := append([]string{filepath.Dir(abs)}, importPaths...)
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: paths}),
	}
	files, err := compiler.Compile(context.Background(), filepath.Base(abs))
	if err != nil {
		// protocompile names the file relative to its import path; name it as the user wrote it.
		return nil, fmt.Errorf("proto file does not parse: %s", strings.Replace(err.Error(), filepath.Base(abs), abs, 1))
	}
	if svc := files[0].Services().ByName(name.Name()); svc != nil && svc.FullName() == name {
		return svc, nil
	}
	var names []string
	for i := 0; i < files[0].Services().Len(); i++ {
		names = append(names, string(files[0].Services().Get(i).FullName()))
	}
	return nil, fmt.Errorf("proto file %s has no service %s (it has: %s)", file, name, strings.Join(names, ", "))
}

// serviceFromReflection asks the server for the file that defines the service and, one by one,
// for the files it imports that the server sent not already.
func serviceFromReflection(ctx context.Context, conn *grpc.ClientConn, name protoreflect.FullName) (protoreflect.ServiceDescriptor, error) {
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("server reflection: %v", err)
	}
	defer func() { _ = stream.CloseSend() }()
	ask := func(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
		if err := stream.Send(req); err != nil {
			return nil, err
		}
		return stream.Recv()
	}
	resp, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: string(name)}})
	if err != nil {
		return nil, fmt.Errorf("server reflection (without proto: the driver asks the server; give load.grpc.proto otherwise): %v", err)
	}
	if resp.GetErrorResponse() != nil {
		return nil, fmt.Errorf("the server does not offer service %s (it offers: %s)", name, listServices(ask))
	}
	files := map[string]*descriptorpb.FileDescriptorProto{}
	pending := resp.GetFileDescriptorResponse().GetFileDescriptorProto()
	for len(pending) > 0 {
		raw := pending[0]
		pending = pending[1:]
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			return nil, fmt.Errorf("server reflection sent a bad descriptor: %v", err)
		}
		files[fd.GetName()] = fd
		for _, dep := range fd.GetDependency() {
			if _, ok := files[dep]; ok {
				continue
			}
			if known, err := protoregistry.GlobalFiles.FindFileByPath(dep); err == nil {
				files[dep] = protodesc.ToFileDescriptorProto(known)
				continue
			}
			r, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: dep}})
			if err != nil || r.GetErrorResponse() != nil {
				return nil, fmt.Errorf("server reflection has no file %s (imported by %s)", dep, fd.GetName())
			}
			pending = append(pending, r.GetFileDescriptorResponse().GetFileDescriptorProto()...)
		}
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, fd := range files {
		set.File = append(set.File, fd)
	}
	reg, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, fmt.Errorf("server reflection's descriptors do not link: %v", err)
	}
	d, err := reg.FindDescriptorByName(name)
	if err != nil {
		return nil, fmt.Errorf("the server does not offer service %s", name)
	}
	svc, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", name)
	}
	return svc, nil
}

func listServices(ask func(*rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error)) string {
	resp, err := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	if err != nil {
		return "unknown: " + err.Error()
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
