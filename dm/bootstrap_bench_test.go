package dm_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// BenchmarkProvisioningSession measures bootstrap sessions through dm on
// a SQLite file, one after another: per session a DTLS-PSK handshake with a device's factory
// key, Authorize (factory lookup, binding), Plan (a fresh 128-bit PSK
// issued and stored sealed, the session row), the protocol exchanges with
// a scripted device, and Finished (session and lifecycle rows, events).
func BenchmarkProvisioningSession(b *testing.B) {
	ctx := context.Background()
	e := newBSEnv(b, storetest.SQLite(), bsOpts{})
	if _, err := e.prov.CreateBootstrapConfig(ctx, dm.System(), dm.BootstrapConfigInput{Name: "default", Default: true,
		Spec: models.BootstrapSpec{Servers: []models.BootstrapServer{{ShortServerID: 1}}, Security: models.ModePSK}}); err != nil {
		b.Fatal(err)
	}
	type factory struct {
		ep, identity string
		key          []byte
	}
	devs := make([]factory, b.N)
	for i := range devs {
		ep := fmt.Sprintf("bench-%d", i)
		if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: ep, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
			b.Fatal(err)
		}
		fc, key, err := e.prov.CreateFactoryCredential(ctx, dm.System(), dm.FactoryInput{Device: ep})
		if err != nil {
			b.Fatal(err)
		}
		k, _ := hex.DecodeString(key)
		devs[i] = factory{ep, fc.PSKIdentity, k}
	}
	finished := make(chan struct{}, 1)
	h := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, m *coap.Message) *coap.Message {
		switch m.Code {
		case coap.GET:
			if m.Accept() == lwm2m.FormatLinkFormat {
				r := coap.NewResponse(lwm2m.CodeContent, []byte(`</>;lwm2m=1.1,</0/0>,</3/0>`))
				r.SetContentFormat(lwm2m.FormatLinkFormat)
				return r
			}
			return coap.ErrorResponse(lwm2m.CodeNotFound, "")
		case coap.DELETE:
			return coap.NewResponse(lwm2m.CodeDeleted, nil)
		case coap.POST:
			finished <- struct{}{}
		}
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	})
	b.ReportAllocs()
	b.ResetTimer()
	for _, d := range devs {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := coap.Dial(dctx, e.bs.DTLSAddr().String(), coap.DialConfig{Config: coap.Config{Handler: h},
			DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte(d.identity), PSK: d.key}})
		if err != nil {
			b.Fatal(err)
		}
		req := coap.NewRequest(coap.POST, "bs")
		req.AddQuery("ep="+d.ep, "pct=112")
		if resp, err := c.Do(dctx, req); err != nil || resp.Code != lwm2m.CodeChanged {
			b.Fatalf("Bootstrap-Request: %v %v", resp, err)
		}
		select {
		case <-finished:
		case <-dctx.Done():
			b.Fatal("no Bootstrap-Finish")
		}
		c.Close()
		cancel()
	}
	b.StopTimer()
	waitForB(b, "the last session recorded", func() bool {
		pg, err := e.prov.BootstrapSessions(ctx, dm.System(), "", []models.BootstrapSessionState{models.SessionFinished}, dm.PageRequest{Limit: 1})
		return err == nil && pg.Total == int64(b.N)
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}

func waitForB(b *testing.B, what string, cond func() bool) {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("never %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
