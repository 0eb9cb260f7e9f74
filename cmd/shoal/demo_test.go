package main

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/sim"
)

// lockedWriter collects output written from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// demoUntil waits for cond (a minute is a hang guard, not an assertion).
func demoUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeDemo runs the app with --demo 5 twice on one data directory:
// the first run creates the demo profile and devices (DTLS-PSK), which
// come online with battery and temperature telemetry; the second finds
// them and their key in place and they come online again.
func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	for run := range 2 {
		cfg := app.Defaults()
		cfg.DataDir, cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = dir, "127.0.0.1:0", "127.0.0.1:0", ""
		cfg.LogOutput, cfg.LogLevel = io.Discard, "error"
		cfg.AdminToken = "demo-test-admin-token-0123456789"
		a, err := app.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var out lockedWriter
		done := make(chan error, 1)
		go func() { done <- runWithDemo(ctx, a, 5, dir, &out) }()
		svc := a.Service()
		demoUntil(t, "5 demo devices online", func() bool {
			page, err := svc.ListDevices(ctx, dm.System(), dm.DeviceFilter{Labels: map[string]string{"demo": "true"},
				Statuses: []models.DeviceStatus{models.StatusOnline}}, dm.PageRequest{})
			return err == nil && page.Total == 5
		})
		demoUntil(t, "battery and temperature telemetry", func() bool {
			series, err := svc.Telemetry(ctx, dm.System(), "demo-4", dm.TelemetryRequest{Keys: []string{"battery", "temperature"}, Limit: 10})
			if err != nil || len(series) != 2 {
				return false
			}
			return len(series[0].Points) > 0 && len(series[1].Points) > 0
		})
		dev, err := svc.GetDevice(ctx, dm.System(), "demo-0")
		if err != nil || dev.Profile != sim.DemoProfileName || dev.Registration == nil || dev.Registration.Transport != "dtls" {
			t.Fatalf("run %d: demo-0 %+v, %v", run, dev, err)
		}
		if !strings.Contains(out.String(), "demo: 5 simulated devices (demo-0 … demo-4") {
			t.Errorf("run %d printed %q", run, out.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
}
