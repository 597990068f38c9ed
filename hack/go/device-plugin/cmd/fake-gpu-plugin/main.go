// A device plugin that advertises GPUs that do not exist, so that the node tier's pods request
// `nvidia.com/gpu` through the kubelet's real device-plugin path (registration, ListAndWatch,
// Allocate) instead of a number patched into the node's status. Each allocated container gets
// NVIDIA_VISIBLE_DEVICES naming its fake devices, as NVIDIA's plugin sets it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
)

type plugin struct {
	pluginapi.UnimplementedDevicePluginServer
	devices []*pluginapi.Device
}

func (p *plugin) GetDevicePluginOptions(context.Context, *pluginapi.Empty) (*pluginapi.DevicePluginOptions, error) {
	return &pluginapi.DevicePluginOptions{}, nil
}

// ListAndWatch sends the device list once; the devices never change, so it then waits for the
// kubelet to hang up.
func (p *plugin) ListAndWatch(_ *pluginapi.Empty, stream grpc.ServerStreamingServer[pluginapi.ListAndWatchResponse]) error {
	if err := stream.Send(&pluginapi.ListAndWatchResponse{Devices: p.devices}); err != nil {
		return err
	}
	<-stream.Context().Done()
	return nil
}

func (p *plugin) Allocate(_ context.Context, req *pluginapi.AllocateRequest) (*pluginapi.AllocateResponse, error) {
	resp := &pluginapi.AllocateResponse{}
	for _, c := range req.ContainerRequests {
		resp.ContainerResponses = append(resp.ContainerResponses, &pluginapi.ContainerAllocateResponse{
			Envs: map[string]string{"NVIDIA_VISIBLE_DEVICES": strings.Join(c.DevicesIds, ",")},
		})
	}
	return resp, nil
}

func (p *plugin) PreStartContainer(context.Context, *pluginapi.PreStartContainerRequest) (*pluginapi.PreStartContainerResponse, error) {
	return &pluginapi.PreStartContainerResponse{}, nil
}

// serve listens on our socket and registers with the kubelet; it returns the server so that the
// caller can stop it when the kubelet restarts (the kubelet then deletes every plugin socket).
func serve(p *plugin, dir, endpoint, resource string) (*grpc.Server, error) {
	socket := filepath.Join(dir, endpoint)
	_ = os.Remove(socket)
	listener, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	server := grpc.NewServer()
	pluginapi.RegisterDevicePluginServer(server, p)
	go func() { _ = server.Serve(listener) }()

	conn, err := grpc.NewClient("unix://"+filepath.Join(dir, "kubelet.sock"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		server.Stop()
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pluginapi.NewRegistrationClient(conn).Register(ctx, &pluginapi.RegisterRequest{
		Version: pluginapi.Version, Endpoint: endpoint, ResourceName: resource, Options: &pluginapi.DevicePluginOptions{},
	})
	if err != nil {
		server.Stop()
		return nil, err
	}
	return server, nil
}

func main() {
	resource := flag.String("resource", "nvidia.com/gpu", "extended resource name to advertise")
	count := flag.Int("count", 4, "number of fake devices")
	dir := flag.String("dir", pluginapi.DevicePluginPath, "the kubelet's device-plugin directory")
	flag.Parse()

	p := &plugin{}
	for i := 0; i < *count; i++ {
		p.devices = append(p.devices, &pluginapi.Device{ID: fmt.Sprintf("fake-gpu-%d", i), Health: pluginapi.Healthy})
	}
	endpoint := "perpetual-fake-gpu.sock"
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var server *grpc.Server
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	for {
		// (Re-)register whenever our socket is missing: at start, and after a kubelet restart.
		if _, err := os.Stat(filepath.Join(*dir, endpoint)); server == nil || err != nil {
			if server != nil {
				server.Stop()
				server = nil
			}
			if s, err := serve(p, *dir, endpoint, *resource); err != nil {
				log.Printf("waiting for the kubelet: %v", err)
			} else {
				server = s
				log.Printf("registered %d x %s", *count, *resource)
			}
		}
		select {
		case <-stop:
			if server != nil {
				server.Stop()
			}
			return
		case <-ticker.C:
		}
	}
}
