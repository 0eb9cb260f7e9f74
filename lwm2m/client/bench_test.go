package client

import (
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// BenchmarkHandleReadInstance serves "GET /3/0" (SenML CBOR) through the
// handler, without the network.
func BenchmarkHandleReadInstance(b *testing.B) {
	c, _ := newTestClient(b, nil)
	m := req(coap.GET, "/3/0", lwm2m.FormatNone, nil)
	b.ReportAllocs()
	for b.Loop() {
		c.mu.Lock()
		resp := c.handle(m, byServer)
		c.mu.Unlock()
		if resp.Code != lwm2m.CodeContent {
			b.Fatal(resp.Code)
		}
	}
}

// BenchmarkNotifyCycle measures one value change turned into a due
// notification (evaluation, read, encoding) for one observation.
func BenchmarkNotifyCycle(b *testing.B) {
	c, clk := newTestClient(b, nil)
	m := req(coap.GET, "/3303/0/5700", lwm2m.FormatNone, nil)
	m.SetObserve(0)
	c.mu.Lock()
	c.handle(m, byServer)
	c.mu.Unlock()
	p := lwm2m.MustPath("/3303/0/5700")
	b.ReportAllocs()
	v := 0.0
	for b.Loop() {
		v++
		clk.Advance(time.Second)
		c.mu.Lock()
		_ = c.tree.Set(p, lwm2m.FloatValue(v))
		due := c.dueNotifications(clk.Now())
		c.mu.Unlock()
		if len(due) != 1 {
			b.Fatalf("%d notifications", len(due))
		}
	}
}

// BenchmarkSimulationTick moves every simulated value once.
func BenchmarkSimulationTick(b *testing.B) {
	c, _ := newTestClient(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		c.Tick()
	}
}
