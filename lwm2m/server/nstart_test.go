package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

// clientDevice runs a real lwm2m/client device against s until the test
// ends.
func clientDevice(t *testing.T, cfg client.Config) {
	t.Helper()
	cfg.Models, cfg.Codecs, cfg.Dialer = objects.New(), std.New(), &client.CoAPDialer{}
	cfg.SimInterval = -1
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestNStartConcurrentSends sends many requests at once to one
// lwm2m/client device with NSTART 4, over UDP and DTLS. The ACK timeout is
// longer than the request timeout, so a request or answer lost on the way
// cannot be saved by a retransmission: it fails the Send. (With DTLS, the
// lean record layer dropped a device's record that a parallel reader had
// overtaken; the answer then only came after the retransmission, ~2.5 s.)
func TestNStartConcurrentSends(t *testing.T) {
	const key = "0123456789abcdef"
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "udp", true: "dtls"}[secure], func(t *testing.T) {
			rec := newRecorder()
			creds := server.NewMemoryCredentials()
			creds.AddNoSec("plain")
			creds.AddPSK("psk", "psk-id", []byte(key))
			cfg := testConfig(rec)
			cfg.Credentials, cfg.Models = creds, objects.New()
			cfg.CoAP.NStart = 4
			cfg.CoAP.AckTimeout = time.Minute
			cfg.RequestTimeout = 15 * time.Second
			s := startServer(t, cfg)
			ep := "plain"
			dev := client.Config{Endpoint: ep, ServerURI: "coap://" + s.UDPAddr().String()}
			if secure {
				ep = "psk"
				dev = client.Config{Endpoint: ep, ServerURI: "coaps://" + s.DTLSAddr().String(), PSKIdentity: "psk-id", PSKKey: []byte(key)}
			}
			clientDevice(t, dev)
			rec.waitEvent(t, "registered "+ep)
			for round := range 100 {
				errs := make(chan error, 64)
				var wg sync.WaitGroup
				for i := range 64 {
					wg.Go(func() {
						p := []string{"/3/0/0", "/3/0/9", "/3/0/1", "/1/0/1"}[i%4]
						r, err := s.Send(testCtx(t), ep, req(lwm2m.OpRead, p))
						if err == nil && r.Code != lwm2m.CodeContent {
							err = fmt.Errorf("answered %s", r.Code)
						}
						if err != nil {
							errs <- fmt.Errorf("round %d, read %s: %w", round, p, err)
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
			}
		})
	}
}
