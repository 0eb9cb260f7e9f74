package dm_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/sim"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestProfileApplicationKeepsUpWithABurst: 2,000 simulated devices with a
// profile register in one burst, with 40 more that leave the first
// observe request they get unanswered (it times out); every one of them
// ends with the profile's observations established on the server. The
// request timeout is short, so that under the burst other requests may
// time out too: the application has to come back to those devices.
func TestProfileApplicationKeepsUpWithABurst(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 devices")
	}
	const n = 2000
	e := newEnv(t, storetest.SQLite(), envOpts{
		dm: func(c *dm.Config) {
			c.RequestTimeout, c.ProfileRetryDelay, c.ProfileAttempts = 300*time.Millisecond, 50*time.Millisecond, 10
		},
		server: func(c *server.Config) {
			c.RequestTimeout = 300 * time.Millisecond
			c.CoAP.AckTimeout = 100 * time.Millisecond
			c.CoAP.MaxRetransmit = 1
		},
	})
	ctx := context.Background()
	prof, err := e.svc.CreateProfile(ctx, dm.System(), models.Profile{Name: "burst", Spec: models.ProfileSpec{
		Observe: models.ObserveSpec{Strategy: models.ObserveSingle, Targets: []models.ObserveTarget{
			{Path: lwm2m.MustPath("/3303/0/5700"), Attributes: lwm2m.Attributes{Pmax: u32(3600)}},
			{Path: lwm2m.MustPath("/3/0/9")},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	const deaf = 40
	rows := make([]dm.DeviceInput, n+deaf)
	eps := make([]string, n+deaf)
	for i := range rows {
		eps[i] = fmt.Sprintf("burst-%04d", i)
		if i >= n {
			eps[i] = fmt.Sprintf("deaf-%02d", i-n)
		}
		rows[i] = dm.DeviceInput{Endpoint: eps[i], Profile: prof.Name, Credentials: &dm.CredentialsInput{Mode: "nosec"}}
	}
	res, err := e.svc.ImportDevices(ctx, dm.System(), rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.OK {
			t.Fatalf("import %s: %s", r.Endpoint, r.Error)
		}
	}
	fleet, err := sim.New(sim.Config{ServerURI: e.coapURI(), Devices: n, Prefix: "burst-", Ramp: 1e6,
		Models: objects.New(), Codecs: std.New(), RetryDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fleet.Run(fctx) }()
	defer func() { stop(); <-done }()
	for _, ep := range eps[n:] {
		startDeaf(t, ep, e.coapURI())
	}

	missing := func() []string {
		var out []string
		for _, ep := range eps {
			if len(e.srv.Observations(ep)) != 2 {
				out = append(out, ep)
			}
		}
		return out
	}
	deadline := time.Now().Add(5 * time.Minute) // a hang guard, not a measurement
	for m := missing(); len(m) > 0; m = missing() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d devices without their observations, e.g. %s (fleet %+v)", len(m), len(eps), m[0], fleet.Snapshot().Registered)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// deafDialer is the real CoAP dialer with a device that leaves the first
// observe request it gets unanswered (no response, no ACK), so the
// server's request times out.
type deafDialer struct{ client.CoAPDialer }

func (d *deafDialer) Dial(ctx context.Context, t client.Target, in client.Inbound) (client.Conn, error) {
	return d.CoAPDialer.Dial(ctx, t, &deafOnce{Inbound: in})
}

type deafOnce struct {
	client.Inbound
	ignored atomic.Bool
}

func (d *deafOnce) ServeCoAP(req *coap.Message) *coap.Message {
	if obs, ok := req.Observe(); ok && obs == 0 && d.ignored.CompareAndSwap(false, true) {
		return nil
	}
	return d.Inbound.ServeCoAP(req)
}

// startDeaf runs a lwm2m/client device on a deafDialer until the test ends.
func startDeaf(t *testing.T, ep, uri string) {
	c, err := client.New(client.Config{Endpoint: ep, ServerURI: uri, Models: objects.New(), Codecs: std.New(),
		Dialer: &deafDialer{}, SimInterval: -1, RetryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}
