package sim

import (
	"context"
	"testing"
	"time"
)

// TestDemoFleet runs the demo configuration (its value interval shortened)
// against a real lwm2m/server that observes what DemoProfile observes:
// every device comes online and both battery and temperature notify.
func TestDemoFleet(t *testing.T) {
	prof := DemoProfile()
	var paths = prof.Spec.Observe.Targets
	if len(paths) != 2 || len(prof.Spec.Telemetry) != 2 || prof.Name != DemoProfileName {
		t.Fatalf("demo profile %+v", prof)
	}
	ts := newTestServer(t, paths[0].Path, paths[1].Path)
	cfg := DemoConfig(20, ts.uri("coap"))
	cfg.SimInterval = 20 * time.Millisecond
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range prof.Spec.Telemetry {
		if tm.Path != paths[0].Path && tm.Path != paths[1].Path {
			t.Errorf("telemetry %s is not observed", tm.Path)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- f.Run(ctx) }()
	eventually(t, "20 demo devices online", func() bool { return f.Snapshot().Online == 20 })
	eventually(t, "battery and temperature notified", func() bool {
		_, b := ts.tally.lastValue(paths[0].Path)
		_, tmp := ts.tally.lastValue(paths[1].Path)
		return b && tmp
	})
	if f.Devices()[0].Endpoint != "demo-00" || f.Devices()[19].Security != "nosec" {
		t.Errorf("devices %+v … %+v", f.Devices()[0], f.Devices()[19])
	}
	for i := range 20 {
		c := f.Client(i)
		for _, p := range paths {
			if _, err := c.Get(p.Path); err != nil {
				t.Fatalf("%s lacks %s: %v", c.Endpoint(), p.Path, err)
			}
		}
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
}
