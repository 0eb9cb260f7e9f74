package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// registered starts a client against a fresh scripted server and returns
// the server, the client and the server's peer for downlink requests.
func registered(t *testing.T, mod func(*Config)) (*scriptedServer, *Client, *ManualClock, *coap.Peer) {
	t.Helper()
	srv := newScriptedServer(t, nil)
	c, clk := startClient(t, func(cfg *Config) {
		cfg.ServerURI = srv.uri("coap")
		if mod != nil {
			mod(cfg)
		}
	})
	u := srv.expect(t, coap.POST, "rd")
	waitFor(t, "registered", func() bool { return c.Status().Registered })
	return srv, c, clk, u.peer
}

func TestDownlinkOperations(t *testing.T) {
	_, c, _, p := registered(t, nil)
	m := req(coap.GET, "/3/0/0", lwm2m.FormatNone, nil)
	m.SetAccept(lwm2m.FormatText)
	resp := do(t, p, m)
	if resp.Code != lwm2m.CodeContent || string(resp.Payload) != "Shoal" {
		t.Fatalf("read: %s %q", resp.Code, resp.Payload)
	}
	for _, tc := range []struct {
		name string
		m    *coap.Message
		code lwm2m.Code
	}{
		{"write", req(coap.PUT, "/1/0/1", lwm2m.FormatText, []byte("120")), lwm2m.CodeChanged},
		{"write read-only", req(coap.PUT, "/3/0/9", lwm2m.FormatText, []byte("1")), lwm2m.CodeMethodNotAllowed},
		{"write bad format", req(coap.PUT, "/1/0/1", lwm2m.ContentFormat(4711), []byte("1")), lwm2m.CodeUnsupportedContentFormat},
		{"execute", req(coap.POST, "/3303/0/5605", lwm2m.FormatNone, nil), lwm2m.CodeChanged},
		{"create", req(coap.POST, "/3303", lwm2m.FormatNone, nil), lwm2m.CodeCreated},
		{"delete", req(coap.DELETE, "/3303/1", lwm2m.FormatNone, nil), lwm2m.CodeDeleted},
		{"delete missing", req(coap.DELETE, "/3303/1", lwm2m.FormatNone, nil), lwm2m.CodeNotFound},
		{"read security", req(coap.GET, "/0/0", lwm2m.FormatNone, nil), lwm2m.CodeUnauthorized},
		{"read missing", req(coap.GET, "/9/0", lwm2m.FormatNone, nil), lwm2m.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) { wantResp(t, do(t, p, tc.m), tc.code) })
	}
	wa := req(coap.PUT, "/3303/0/5700", lwm2m.FormatNone, nil)
	wa.AddQuery("pmin=1", "st=0.5")
	wantResp(t, do(t, p, wa), lwm2m.CodeChanged)
	disc := req(coap.GET, "/3303/0/5700", lwm2m.FormatNone, nil)
	disc.SetAccept(lwm2m.FormatLinkFormat)
	resp = do(t, p, disc)
	if string(resp.Payload) != "</3303/0/5700>;pmin=1;st=0.5" {
		t.Fatalf("discover: %q", resp.Payload)
	}
	// Composite read and write over the wire.
	names, _ := c.codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root,
		[]lwm2m.Record{{Path: lwm2m.MustPath("/3/0/9")}, {Path: lwm2m.MustPath("/1/0/1")}})
	resp = do(t, p, req(coap.FETCH, "/", lwm2m.FormatSenMLCBOR, names))
	recs, err := c.codecs.DecodeRecords(resp.ContentFormat(), lwm2m.Root, resp.Payload, c.models)
	if err != nil || len(recs) != 2 || recs[1].Value.Int() != 120 {
		t.Fatalf("read-composite %s: %v %+v", resp.Code, err, recs)
	}
	vals, _ := c.codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root,
		[]lwm2m.Record{{Path: lwm2m.MustPath("/1/0/1"), Value: lwm2m.IntValue(150)}})
	wantResp(t, do(t, p, req(coap.IPATCH, "/", lwm2m.FormatSenMLCBOR, vals)), lwm2m.CodeChanged)
	if v, _ := c.Get(lwm2m.MustPath("/1/0/1")); v.Int() != 150 {
		t.Fatalf("write-composite: lifetime %v", v)
	}
}

func TestObserveNotifyEndToEnd(t *testing.T) {
	_, c, clk, p := registered(t, nil)
	wa := req(coap.PUT, "/3303/0/5700", lwm2m.FormatNone, nil)
	wa.AddQuery("pmin=10", "gt=30")
	wantResp(t, do(t, p, wa), lwm2m.CodeChanged)
	got := make(chan float64, 16)
	ctx := context.Background()
	obs, resp, err := p.Observe(ctx, req(coap.GET, "/3303/0/5700", lwm2m.FormatNone, nil), func(_ *coap.Peer, n *coap.Message) bool {
		node, err := c.codecs.Decode(n.ContentFormat(), lwm2m.MustPath("/3303/0/5700"), n.Payload, c.models)
		if err != nil {
			t.Errorf("notification: %v", err)
			return true
		}
		got <- node.Value.Float()
		return true
	})
	if err != nil || obs == nil {
		t.Fatalf("observe: %v %v", err, resp)
	}
	// Below gt: no notification even after pmin.
	if err := c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(25)); err != nil {
		t.Fatal(err)
	}
	idle(t, clk)
	clk.Advance(11 * time.Second)
	// Crossing gt: notified, at pmin at the earliest.
	if err := c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(31)); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v != 31 {
			t.Fatalf("notified %v, want 31", v)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no notification for a gt crossing")
	}
	if len(got) != 0 {
		t.Fatalf("extra notifications: %d", len(got))
	}
	// Reactive cancel: the server forgets, answers the next one with RST.
	obs.Forget()
	idle(t, clk)
	clk.Advance(11 * time.Second)
	_ = c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(20))
	waitFor(t, "observation dropped after RST", func() bool { return c.Status().Observations == 0 })
}

func TestObservePmaxEndToEnd(t *testing.T) {
	_, c, clk, p := registered(t, nil)
	wa := req(coap.PUT, "/3/0", lwm2m.FormatNone, nil)
	wa.AddQuery("pmax=30")
	wantResp(t, do(t, p, wa), lwm2m.CodeChanged)
	got := make(chan struct{}, 16)
	obs, _, err := p.Observe(context.Background(), req(coap.GET, "/3/0/9", lwm2m.FormatNone, nil), func(*coap.Peer, *coap.Message) bool {
		got <- struct{}{}
		return true
	})
	if err != nil || obs == nil {
		t.Fatalf("observe: %v", err)
	}
	idle(t, clk)
	clk.Advance(30 * time.Second) // inherited from the instance
	select {
	case <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no pmax notification")
	}
	// Active cancel with GET Observe=1.
	resp, err := obs.Cancel(context.Background())
	if err != nil || resp.Code != lwm2m.CodeContent {
		t.Fatalf("cancel: %v %v", err, resp)
	}
	if n := c.Status().Observations; n != 0 {
		t.Fatalf("%d observations after cancel", n)
	}
}

func TestSendEndToEnd(t *testing.T) {
	srv, c, clk, _ := registered(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.SendNow(ctx, lwm2m.MustPath("/3303/0/5700"), lwm2m.MustPath("/3/0/9")) }()
	u := srv.expect(t, coap.POST, "dp")
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if u.req.ContentFormat() != lwm2m.FormatSenMLCBOR {
		t.Fatalf("send format %s", u.req.ContentFormat())
	}
	recs, err := c.codecs.DecodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root, u.req.Payload, c.models)
	if err != nil || len(recs) != 2 {
		t.Fatalf("send payload: %v %+v", err, recs)
	}
	for _, r := range recs {
		if !r.Time.Equal(clk.Now()) {
			t.Errorf("%s timestamped %v, want %v", r.Path, r.Time, clk.Now())
		}
	}
	if err := c.SendNow(ctx, lwm2m.MustPath("/9/0")); err == nil {
		t.Fatal("send of a missing path accepted")
	}
}

func TestQueueModeSleepWake(t *testing.T) {
	srv, c, clk, p := registered(t, func(cfg *Config) { cfg.QueueMode = true; cfg.AwakeTime = 20 * time.Second })
	if _, ok := queryParam(srv.regQuery(t), "Q"); !ok {
		t.Fatal("queue mode registration lacks Q")
	}
	idle(t, clk)
	clk.Advance(20 * time.Second)
	waitFor(t, "asleep", func() bool { return c.Status().Sleeping })
	// Asleep: the radio is off, a request goes unanswered.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := p.Do(ctx, req(coap.GET, "/3/0/9", lwm2m.FormatNone, nil))
	cancel()
	if err == nil {
		t.Fatal("a sleeping device answered")
	}
	// Wake: an Update first, then the server's held request is served.
	c.Wake()
	u := srv.expect(t, coap.POST, "rd")
	if u.req.PathString() != "/rd/r1" {
		t.Fatalf("wake sent %s, want an Update", u.req)
	}
	wantResp(t, do(t, u.peer, req(coap.GET, "/3/0/9", lwm2m.FormatNone, nil)), lwm2m.CodeContent)
	// Sleep() sends it back to sleep at once; a due Update wakes it.
	c.Sleep()
	waitFor(t, "asleep again", func() bool { return c.Status().Sleeping })
	idle(t, clk)
	clk.Advance(300 * time.Second)
	srv.expect(t, coap.POST, "rd")
	waitFor(t, "awake", func() bool { return !c.Status().Sleeping })
}

// regQuery returns the query of the first Register the server saw.
func (s *scriptedServer) regQuery(t *testing.T) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstReg
}

func TestRebootReregisters(t *testing.T) {
	srv, c, clk, p := registered(t, nil)
	wantResp(t, do(t, p, req(coap.POST, "/3/0/4", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	idle(t, clk)
	clk.Advance(time.Second)
	u := srv.expect(t, coap.POST, "rd")
	if u.req.PathString() != "/rd" {
		t.Fatalf("after reboot: %s", u.req)
	}
	waitFor(t, "registered again", func() bool { return c.Status().Location == "/rd/r2" })
}

func TestFirmwareCoAPPullAndPush(t *testing.T) {
	img := bytes.Repeat([]byte("0123456789abcdef"), 400) // 6400 bytes: Block2/Block1
	sum := sha256.Sum256(img)
	srv, c, clk, p := registered(t, func(cfg *Config) { cfg.Firmware.NewVersion = "9.9.9" })
	srv.mu.Lock()
	srv.files = map[string][]byte{"fw": img}
	srv.mu.Unlock()
	uri := fmt.Sprintf("%s/fw?sha256=%x", srv.uri("coap"), sum)
	wantResp(t, do(t, p, req(coap.PUT, "/5/0/1", lwm2m.FormatText, []byte(uri))), lwm2m.CodeChanged)
	waitFor(t, "downloaded", func() bool { return c.Status().FirmwareState == FWDownloaded })
	wantResp(t, do(t, p, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	if st := c.Status(); st.FirmwareState != FWUpdating {
		t.Fatalf("after Update: %+v", st)
	}
	idle(t, clk)
	clk.Advance(time.Second)
	var u uplink
	for {
		u = srv.next(t)
		if u.req.Code == coap.POST && u.req.PathString() == "/rd" {
			break
		}
	}
	waitFor(t, "registered after update", func() bool { return c.Status().Registered })
	v, _ := c.Get(lwm2m.MustPath("/3/0/3"))
	if v.Str() != "9.9.9" || c.Status().FirmwareResult != FWResultSuccess {
		t.Fatalf("after update: version %q, %+v", v.Str(), c.Status())
	}
	// Push: a block-wise Write of /5/0/0 on the new registration.
	wantResp(t, do(t, u.peer, req(coap.PUT, "/5/0/0", lwm2m.FormatOpaque, img)), lwm2m.CodeChanged)
	if st := c.Status(); st.FirmwareState != FWDownloaded {
		t.Fatalf("after push: %+v", st)
	}
}

func TestDisableDeregistersForTimeout(t *testing.T) {
	srv, c, clk, p := registered(t, nil)
	wantResp(t, do(t, p, req(coap.PUT, "/1/0/5", lwm2m.FormatText, []byte("600"))), lwm2m.CodeChanged)
	wantResp(t, do(t, p, req(coap.POST, "/1/0/4", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	idle(t, clk)
	clk.Advance(time.Second)
	srv.expect(t, coap.DELETE, "rd")
	waitFor(t, "unregistered", func() bool { return !c.Status().Registered })
	idle(t, clk)
	clk.Advance(599 * time.Second)
	idle(t, clk)
	if c.Status().Registered {
		t.Fatal("registered again before the disable timeout")
	}
	clk.Advance(time.Second)
	u := srv.expect(t, coap.POST, "rd")
	if u.req.PathString() != "/rd" {
		t.Fatalf("after the disable timeout: %s", u.req)
	}
	// No bootstrap account: the Bootstrap-Request Trigger is refused.
	waitFor(t, "registered", func() bool { return c.Status().Registered })
	wantResp(t, do(t, u.peer, req(coap.POST, "/1/0/9", lwm2m.FormatNone, nil)), lwm2m.CodeMethodNotAllowed)
}
