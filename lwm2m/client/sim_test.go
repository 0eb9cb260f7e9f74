package client

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

func TestSimulationDrifts(t *testing.T) {
	c, _ := newTestClient(t, func(cfg *Config) { cfg.Seed = 7 })
	t0, _ := c.Get(lwm2m.MustPath("/3303/0/5700"))
	b0, _ := c.Get(lwm2m.MustPath("/3/0/9"))
	lat0, _ := c.Get(lwm2m.MustPath("/6/0/0"))
	changed := false
	for range 200 {
		c.Tick()
		if v, _ := c.Get(lwm2m.MustPath("/3303/0/5700")); !v.Equal(t0) {
			changed = true
		}
	}
	b1, _ := c.Get(lwm2m.MustPath("/3/0/9"))
	lat1, _ := c.Get(lwm2m.MustPath("/6/0/0"))
	if !changed || b1.Int() >= b0.Int() || lat1.Equal(lat0) {
		t.Fatalf("after 200 ticks: temperature changed=%v, battery %v -> %v, latitude %v -> %v", changed, b0, b1, lat0, lat1)
	}
	lo, _ := c.Get(lwm2m.MustPath("/3303/0/5601"))
	hi, _ := c.Get(lwm2m.MustPath("/3303/0/5602"))
	if lo.Float() > hi.Float() {
		t.Fatalf("min %v above max %v", lo, hi)
	}
	// The same seed gives the same device.
	d, _ := newTestClient(t, func(cfg *Config) { cfg.Seed = 7 })
	for range 200 {
		d.Tick()
	}
	if v, _ := d.Get(lwm2m.MustPath("/3/0/9")); !v.Equal(b1) {
		t.Fatalf("seeded simulation not reproducible: %v vs %v", v, b1)
	}
}

// TestTicksDriveCompositeNotifications observes two paths at once; the
// simulation clock moves the values and the notifications follow.
func TestTicksDriveCompositeNotifications(t *testing.T) {
	_, c, clk, p := registered(t, func(cfg *Config) { cfg.SimInterval = 10 * time.Second })
	names, _ := c.codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root,
		[]lwm2m.Record{{Path: lwm2m.MustPath("/3303/0/5700")}, {Path: lwm2m.MustPath("/3/0/9")}})
	got := make(chan []lwm2m.Record, 16)
	m := req(coap.FETCH, "/", lwm2m.FormatSenMLCBOR, names)
	m.SetAccept(lwm2m.FormatSenMLJSON)
	obs, resp, err := p.Observe(context.Background(), m, func(_ *coap.Peer, n *coap.Message) bool {
		recs, err := c.codecs.DecodeRecords(n.ContentFormat(), lwm2m.Root, n.Payload, c.models)
		if err != nil {
			t.Errorf("composite notification: %v", err)
		}
		got <- recs
		return true
	})
	if err != nil || obs == nil {
		t.Fatalf("observe-composite: %v %v", err, resp)
	}
	if resp.ContentFormat() != lwm2m.FormatSenMLJSON {
		t.Fatalf("observe-composite answered in %s", resp.ContentFormat())
	}
	idle(t, clk)
	clk.Advance(10 * time.Second)
	select {
	case recs := <-got:
		if len(recs) != 2 {
			t.Fatalf("composite notification carries %d records", len(recs))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no notification after a simulation tick")
	}
}

// TestBatteryIsReplacedWhenEmpty: a long-running device does not stay at
// 0 % (its battery level would stop notifying): the empty battery is
// replaced by a full one.
func TestBatteryIsReplacedWhenEmpty(t *testing.T) {
	c, _ := newTestClient(t, nil)
	low, rose := int64(100), false
	prev := int64(100)
	for range 3000 {
		c.Tick()
		v, _ := c.Get(lwm2m.MustPath("/3/0/9"))
		low = min(low, v.Int())
		if v.Int() > prev+50 {
			rose = true
		}
		prev = v.Int()
	}
	if low > 1 || !rose {
		t.Fatalf("over 3000 ticks the battery went down to %d%%, replaced: %v", low, rose)
	}
}
