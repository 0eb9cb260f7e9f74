package client

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// TestBootstrapThenRegister plays a bootstrap server: after the
// Bootstrap-Request it discovers, deletes, writes a management account
// into /0 and /1 and finishes; the client then registers with the
// management server written into /0.
func TestBootstrapThenRegister(t *testing.T) {
	bs := newScriptedServer(t, nil)
	dm := newScriptedServer(t, nil)
	c, _ := startClient(t, func(cfg *Config) {
		cfg.ServerURI = ""
		cfg.BootstrapURI = bs.uri("coap")
		cfg.Endpoint = "bs-dev"
	})
	u := bs.expect(t, coap.POST, "bs")
	if v, _ := queryParam(u.req.Query(), "ep"); v != "bs-dev" {
		t.Fatalf("bootstrap request %s", u.req)
	}
	p := u.peer
	disc := req(coap.GET, "/", lwm2m.FormatNone, nil)
	disc.SetAccept(lwm2m.FormatLinkFormat)
	resp := do(t, p, disc)
	if resp.Code != lwm2m.CodeContent || !contains(string(resp.Payload), `</>;lwm2m=1.1`) || !contains(string(resp.Payload), "</0/0>") {
		t.Fatalf("bootstrap discover: %s %s", resp.Code, resp.Payload)
	}
	// Finish before anything is written: no management account, 4.06.
	wantResp(t, do(t, p, bsFinish()), lwm2m.CodeNotAcceptable)
	wantResp(t, do(t, p, req(coap.DELETE, "/", lwm2m.FormatNone, nil)), lwm2m.CodeDeleted)

	sec := lwm2m.NewInstance(1,
		lwm2m.NewResource(0, lwm2m.StringValue(dm.uri("coap"))),
		lwm2m.NewResource(1, lwm2m.BoolValue(false)),
		lwm2m.NewResource(2, lwm2m.IntValue(3)),
		lwm2m.NewResource(3, lwm2m.OpaqueValue(nil)),
		lwm2m.NewResource(4, lwm2m.OpaqueValue(nil)),
		lwm2m.NewResource(5, lwm2m.OpaqueValue(nil)),
		lwm2m.NewResource(10, lwm2m.IntValue(42)))
	b, err := c.codecs.Encode(lwm2m.FormatTLV, lwm2m.MustPath("/0/1"), &sec)
	if err != nil {
		t.Fatal(err)
	}
	wantResp(t, do(t, p, req(coap.PUT, "/0/1", lwm2m.FormatTLV, b)), lwm2m.CodeChanged)
	srv := lwm2m.NewInstance(0,
		lwm2m.NewResource(0, lwm2m.IntValue(42)),
		lwm2m.NewResource(1, lwm2m.IntValue(120)),
		lwm2m.NewResource(6, lwm2m.BoolValue(true)),
		lwm2m.NewResource(7, lwm2m.StringValue("U")))
	b, _ = c.codecs.Encode(lwm2m.FormatSenMLCBOR, lwm2m.MustPath("/1/0"), &srv)
	wantResp(t, do(t, p, req(coap.PUT, "/1/0", lwm2m.FormatSenMLCBOR, b)), lwm2m.CodeChanged)
	// Bootstrap-Read of /1 works, of /3 it does not.
	wantResp(t, do(t, p, req(coap.GET, "/1/0", lwm2m.FormatNone, nil)), lwm2m.CodeContent)
	wantResp(t, do(t, p, req(coap.GET, "/3/0", lwm2m.FormatNone, nil)), lwm2m.CodeBadRequest)
	wantResp(t, do(t, p, bsFinish()), lwm2m.CodeChanged)

	u = dm.expect(t, coap.POST, "rd")
	q := u.req.Query()
	if v, _ := queryParam(q, "lt"); v != "120" {
		t.Fatalf("register after bootstrap: %v", q)
	}
	waitFor(t, "registered", func() bool { st := c.Status(); return st.Registered && !st.Bootstrapping })
	// The management server cannot see what the bootstrap server wrote to /0.
	wantResp(t, do(t, u.peer, req(coap.GET, "/0/1", lwm2m.FormatNone, nil)), lwm2m.CodeUnauthorized)
}

func bsFinish() *coap.Message { return coap.NewRequest(coap.POST, "bs") }

func TestBootstrapTimeout(t *testing.T) {
	bs := newScriptedServer(t, nil)
	errs := make(chan error, 4)
	c, _ := newTestClient(t, func(cfg *Config) {
		cfg.ServerURI = ""
		cfg.BootstrapURI = bs.uri("coap")
		cfg.BootstrapTimeout = 50 * time.Millisecond
		cfg.Dialer = &CoAPDialer{}
		cfg.Events.Error = func(_ string, err error) { errs <- err }
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	bs.expect(t, coap.POST, "bs")
	select {
	case err := <-errs:
		if !contains(err.Error(), "Bootstrap-Finish") {
			t.Fatalf("error %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no bootstrap timeout reported")
	}
	cancel()
	<-done
}
