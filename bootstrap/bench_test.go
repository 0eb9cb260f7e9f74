package bootstrap

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// benchProvisioner admits every endpoint and plans one PSK account.
type benchProvisioner struct {
	*testProvisioner
}

func (benchProvisioner) Authorize(context.Context, Request) error { return nil }

// BenchmarkSessionUDP measures whole bootstrap sessions over plain CoAP
// on loopback: Bootstrap-Request, Discover, Read /1, two Deletes, two
// Writes (SenML CBOR) and Finish, answered by a scripted device. The
// provisioner is in memory, so this is the protocol engine's cost.
func BenchmarkSessionUDP(b *testing.B) {
	prov := benchProvisioner{newTestProvisioner()}
	prov.results = make(chan Result, 1)
	prov.plan = func(Request, DeviceState) (Plan, error) { return pskPlan(mgmtURI, 1), nil }
	s := startServerB(b, prov)
	dev := obedient(`</>;lwm2m=1.1,</0/0>,</0/1>;ssid=1,</1/0>;ssid=1,</3/0>`)
	h := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, m *coap.Message) *coap.Message { return dev(m) })
	c, err := coap.Dial(context.Background(), s.UDPAddr().String(), coap.DialConfig{Config: coap.Config{Handler: h}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		runSession(b, c, prov.results, fmt.Sprintf("bench-%d", i))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}

// BenchmarkSessionDTLS is BenchmarkSessionUDP with a fresh DTLS-PSK
// handshake per session, as devices do.
func BenchmarkSessionDTLS(b *testing.B) {
	prov := benchProvisioner{newTestProvisioner()}
	prov.results = make(chan Result, 1)
	prov.factory["bench"] = []byte("bench-factory-key")
	prov.plan = func(Request, DeviceState) (Plan, error) { return pskPlan(mgmtURI, 1), nil }
	s := startServerB(b, prov)
	dev := obedient(`</>;lwm2m=1.1,</0/0>,</1/0>;ssid=1,</3/0>`)
	h := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, m *coap.Message) *coap.Message { return dev(m) })
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c, err := coap.Dial(context.Background(), s.DTLSAddr().String(), coap.DialConfig{Config: coap.Config{Handler: h},
			DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("bench"), PSK: []byte("bench-factory-key")}})
		if err != nil {
			b.Fatal(err)
		}
		runSession(b, c, prov.results, fmt.Sprintf("bench-%d", i))
		c.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}

func runSession(b *testing.B, c *coap.Conn, results chan Result, ep string) {
	req := coap.NewRequest(coap.POST, "bs")
	req.AddQuery("ep="+ep, "pct=112")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	resp, err := c.Do(ctx, req)
	cancel()
	if err != nil || resp.Code != lwm2m.CodeChanged {
		b.Fatalf("Bootstrap-Request: %v %v", resp, err)
	}
	select {
	case r := <-results:
		if !r.OK {
			b.Fatalf("session: %s %v", r.Step, r.Err)
		}
	case <-time.After(30 * time.Second):
		b.Fatal("no result")
	}
}

func startServerB(b *testing.B, prov Provisioner) *Server {
	s, err := New(Config{CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0", Provisioner: prov})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	<-s.Ready()
	return s
}
