package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

func firmware(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	return b
}

// TestBlockwiseBothWays pushes firmware to a device (Block1, the size
// negotiated down by the device) and reads a large resource back (Block2).
func TestBlockwiseBothWays(t *testing.T) {
	s := openServer(t, newRecorder())
	for _, blockSize := range []int{1024, 128} {
		t.Run(fmt.Sprint(blockSize), func(t *testing.T) {
			dev := newFakeDevice(t)
			c, err := coap.Dial(testCtx(t), s.UDPAddr().String(), coap.DialConfig{Config: coap.Config{Handler: dev, BlockSize: blockSize}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			dev.conn = c
			ep := fmt.Sprint("fw", blockSize)
			do(t, c, registerReq(`</5/0>`, "ep="+ep, "lwm2m=1.1"))

			img := firmware(5000)
			w := req(lwm2m.OpWrite, "/5/0/0")
			n := lwm2m.NewResource(0, lwm2m.OpaqueValue(img))
			w.Content, w.Format = &n, lwm2m.FormatOpaque
			if r := send(t, s, ep, w); r.Code != lwm2m.CodeChanged {
				t.Fatalf("firmware push: %+v", r)
			}
			var blocks int
			for _, m := range dev.requests() {
				if m.Code == coap.PUT {
					blocks++
				}
			}
			if blocks != 1 {
				t.Fatalf("the device handler saw %d PUTs, want the one reassembled body", blocks)
			}
			dev.mu.Lock()
			got := dev.values[lwm2m.MustPath("/5/0/0")].Bytes()
			dev.mu.Unlock()
			if !bytes.Equal(got, img) {
				t.Fatalf("device stored %d bytes, want %d", len(got), len(img))
			}

			r := send(t, s, ep, lwm2m.Request{Op: lwm2m.OpRead, Path: lwm2m.MustPath("/5/0/0"), Format: lwm2m.FormatOpaque})
			if r.Content == nil || !bytes.Equal(r.Content.Value.Bytes(), img) {
				t.Fatalf("block-wise read returned %+v", r.Format)
			}
		})
	}
}

// TestBlockwiseUplink registers with a large link payload and sends a
// large /dp payload, both in Block1 blocks from the device.
func TestBlockwiseUplink(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	c, err := coap.Dial(testCtx(t), s.UDPAddr().String(), coap.DialConfig{Config: coap.Config{BlockSize: 64}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var links []string
	for i := range 60 {
		links = append(links, fmt.Sprintf("</%d/0>;ver=1.1", 3300+i))
	}
	payload := strings.Join(links, ",")
	if r := do(t, c, registerReq(payload, "ep=manyobjects", "lwm2m=1.1")); r.Code != lwm2m.CodeCreated {
		t.Fatalf("block-wise register (%d bytes): %v %q", len(payload), r, r.Payload)
	}
	if reg, _ := s.Registration("manyobjects"); reg.Objects != payload {
		t.Fatalf("objects %d bytes, want %d", len(reg.Objects), len(payload))
	}

	var sb strings.Builder
	sb.WriteString("[")
	for i := range 40 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"n":"/3303/%d/5700","v":%d.5}`, i, i)
	}
	sb.WriteString("]")
	m := coap.NewRequest(coap.POST, "dp")
	m.SetContentFormat(lwm2m.FormatSenMLJSON)
	m.Payload = []byte(sb.String())
	if r := do(t, c, m); r.Code != lwm2m.CodeChanged {
		t.Fatalf("block-wise send: %v %q", r, r.Payload)
	}
	waitUntil(t, "send event", func() bool { return len(rec.sent()) == 1 })
	if n := len(rec.sent()[0].Records); n != 40 {
		t.Fatalf("%d records", n)
	}
}

// TestDTLSAddressFollowsSession: a DTLS device whose source port changes
// keeps its session (connection ID); its registration's address follows,
// and downlink and notifications keep working.
func TestDTLSAddressFollowsSession(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddPSK("roamer", "id-roam", []byte("key-roam"))
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	rc, err := lockstep.NewRebindConn()
	if err != nil {
		t.Fatal(err)
	}
	dev := newFakeDevice(t)
	dc := pskOf("id-roam", "key-roam")
	c, err := coap.Dial(testCtx(t), s.DTLSAddr().String(), coap.DialConfig{PacketConn: rc, DTLS: &dc, Config: coap.Config{Handler: dev}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dev.conn = c
	id := do(t, c, registerReq(`</3/0>`, "ep=roamer", "lwm2m=1.1", "Q")).LocationPath()[1]
	send(t, s, "roamer", req(lwm2m.OpObserve, "/3/0/9"))
	before, _ := s.Registration("roamer")

	if err := rc.Rebind(); err != nil {
		t.Fatal(err)
	}
	// A notification first: it comes over the same session from the new
	// port, is accepted, and moves the address.
	if err := dev.notify("/3/0/9", 2, true); err != nil {
		t.Fatalf("notification after the port change: %v", err)
	}
	waitUntil(t, "notification", func() bool { return len(rec.notifications()) == 1 })
	after, _ := s.Registration("roamer")
	if after.Address == before.Address || after.Address != rc.LocalAddr().String() {
		t.Fatalf("address %s; before %s, device now at %s", after.Address, before.Address, rc.LocalAddr())
	}
	if r := do(t, c, coap.NewRequest(coap.POST, "rd", id)); r.Code != lwm2m.CodeChanged {
		t.Fatalf("update after the port change: %v", r)
	}
	if r := send(t, s, "roamer", req(lwm2m.OpRead, "/3/0/0")); r.Content.Value.Str() != "Shoal" {
		t.Fatalf("read after the port change: %+v", r)
	}
	if n := rec.count("security handshake-failed"); n != 0 {
		t.Fatalf("unexpected handshake failures: %v", rec.lines())
	}
}
