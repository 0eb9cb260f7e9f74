package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/api"
	"github.com/shoal-iot/shoal/dm"
)

// TestMetrics: /metrics shows the HTTP latency histogram by route and
// code next to dm's metrics, when both share a registry.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, envOpts{
		api: func(c *api.Config) { c.Registerer, c.Gatherer = reg, reg },
		dm:  func(c *dm.Config) { c.Registerer = reg },
	})
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "m-1"}).want(t, 201)
	e.do("GET", "/api/v1/devices/m-1", nil).want(t, 200)
	e.do("GET", "/api/v1/devices/ghost", nil).want(t, 404)
	e.do("GET", "/nowhere", nil).want(t, 404)
	body := string(e.do("GET", "/metrics", nil).want(t, 200).body)
	for _, want := range []string{
		`shoal_http_request_duration_seconds_bucket{code="200",method="GET",route="/api/v1/devices/{endpoint}",le="0.01"}`,
		`shoal_http_request_duration_seconds_count{code="404",method="GET",route="/api/v1/devices/{endpoint}"} 1`,
		`shoal_http_request_duration_seconds_count{code="201",method="POST",route="/api/v1/devices"} 1`,
		`shoal_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`,
		"shoal_devices_registered", "shoal_command_queue_depth",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestServeShutdown: Serve listens, answers, and returns once its context
// ends — with an SSE stream still open.
func TestServeShutdown(t *testing.T) {
	e := newEnv(t, envOpts{})
	s, err := api.New(api.Config{Addr: "127.0.0.1:0", Logger: zerolog.Nop()}, e.svc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.Ready()
	url := "http://" + s.Addr().String()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	buf := make([]byte, 16)
	if _, err := io.ReadAtLeast(stream.Body, buf, 5); err != nil {
		t.Fatalf("stream: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := io.ReadAll(stream.Body); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("stream ended with %v", err)
	}
	if err := s.Serve(context.Background()); err == nil {
		t.Error("a second Serve succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []api.Config{
		{TLSCert: "cert.pem"},
		{MaxTimeout: -time.Second},
		{MaxBodyBytes: -1},
		{Registerer: prometheus.NewRegistry()},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v validated", c)
		}
	}
	var c api.Config
	if err := c.Validate(); err != nil || c.Addr != ":8080" || c.MaxBodyBytes != 1<<20 || c.Heartbeat != 15*time.Second {
		t.Errorf("defaults: %v %+v", err, c)
	}
	if _, err := api.New(api.Config{}, nil); err == nil {
		t.Error("New accepted a nil service")
	}
}
