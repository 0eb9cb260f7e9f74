package server_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

func TestRegisterUpdateDeregister(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddNoSec("dev1")
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	lc := device(t, s)

	id := location(t, register(t, lc, `</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>;ver=1.1`, "ep=dev1", "lt=60", "lwm2m=1.1", "b=U"))
	reg, ok := s.Registration("dev1")
	if !ok {
		t.Fatal("not registered")
	}
	if reg.ID != id || reg.Lifetime != time.Minute || reg.Version != "1.1" || reg.Binding != "U" || reg.QueueMode ||
		reg.Address != lc.Addr() || reg.Transport != "udp" || reg.Security != server.ModeNoSec ||
		len(reg.ContentFormats) != 1 || reg.ContentFormats[0] != lwm2m.FormatSenMLJSON {
		t.Fatalf("registration %+v", reg)
	}
	if d := time.Until(reg.ExpiresAt); d < 50*time.Second || d > time.Minute {
		t.Fatalf("expires in %v", d)
	}
	rec.waitEvent(t, "registered dev1")

	up := lc.Request(coap.POST, "rd", id)
	up.AddQuery("lt=120", "b=UQ")
	if r := roundTrip(t, lc, up); r.Code != lwm2m.CodeChanged {
		t.Fatalf("update: %v %q", r, r.Payload)
	}
	rec.waitEvent(t, "updated dev1 [lt,b]")
	reg, _ = s.Registration("dev1")
	if reg.ID != id || reg.Lifetime != 2*time.Minute || !reg.QueueMode {
		t.Fatalf("after update %+v", reg)
	}

	// An Update with new object links replaces them.
	up = lc.Request(coap.POST, "rd", id)
	up.SetContentFormat(lwm2m.FormatLinkFormat)
	up.Payload = []byte(`</1/0>,</3/0>,</3303/0>`)
	if r := roundTrip(t, lc, up); r.Code != lwm2m.CodeChanged {
		t.Fatalf("update with links: %v %q", r, r.Payload)
	}
	rec.waitEvent(t, "updated dev1 [objects]")
	if reg, _ = s.Registration("dev1"); !strings.Contains(reg.Objects, "3303") {
		t.Fatalf("objects %q", reg.Objects)
	}

	if r := roundTrip(t, lc, lc.Request(coap.DELETE, "rd", id)); r.Code != lwm2m.CodeDeleted {
		t.Fatalf("deregister: %v", r)
	}
	rec.waitEvent(t, "deregistered dev1")
	if _, ok := s.Registration("dev1"); ok {
		t.Fatal("still registered")
	}
	if r := roundTrip(t, lc, lc.Request(coap.POST, "rd", id)); r.Code != lwm2m.CodeNotFound {
		t.Fatalf("update after de-registration: %v, want 4.04", r)
	}
}

func TestRegisterVersionsAndQueueMode(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	s := startServer(t, cfg)
	tests := []struct {
		ep, links string
		query     []string
		version   string
		queue     bool
		root      string
		lt        time.Duration
	}{
		{"v10", `</1/0>,</3/0>`, []string{"b=UQ"}, "1.0", true, "/", 86400 * time.Second},
		{"v11q", `</1/0>`, []string{"lwm2m=1.1", "Q", "lt=300"}, "1.1", true, "/", 300 * time.Second},
		{"v12alt", `</lwm2m>;rt="oma.lwm2m";ct="60 110 112 11542",</lwm2m/3/0>`, []string{"lwm2m=1.2"}, "1.2", false, "/lwm2m", 86400 * time.Second},
	}
	for _, tc := range tests {
		lc := device(t, s)
		location(t, register(t, lc, tc.links, append([]string{"ep=" + tc.ep}, tc.query...)...))
		reg, _ := s.Registration(tc.ep)
		if reg.Version != tc.version || reg.QueueMode != tc.queue || reg.RootPath != tc.root || reg.Lifetime != tc.lt {
			t.Errorf("%s: %+v", tc.ep, reg)
		}
	}
	if reg, _ := s.Registration("v12alt"); len(reg.ContentFormats) != 4 {
		t.Errorf("v12alt formats %v", reg.ContentFormats)
	}
}

func TestRegisterBadInput(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	s := startServer(t, cfg)
	lc := device(t, s)
	tests := []struct {
		name   string
		links  string
		query  []string
		cf     lwm2m.ContentFormat
		code   lwm2m.Code
		reason string
	}{
		{"no ep", `</1/0>`, nil, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "ep is missing"},
		{"empty ep", `</1/0>`, []string{"ep="}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "ep is empty"},
		{"bad lt", `</1/0>`, []string{"ep=x", "lt=soon"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "lt"},
		{"zero lt", `</1/0>`, []string{"ep=x", "lt=0"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "lt"},
		{"future version", `</1/0>`, []string{"ep=x", "lwm2m=1.3"}, lwm2m.FormatLinkFormat, lwm2m.CodePreconditionFailed, "1.3"},
		{"garbage version", `</1/0>`, []string{"ep=x", "lwm2m=one"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "lwm2m"},
		{"bad binding", `</1/0>`, []string{"ep=x", "b=XYZ"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "binding"},
		{"Q with value", `</1/0>`, []string{"ep=x", "Q=1"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "Q"},
		{"json payload", `{}`, []string{"ep=x"}, lwm2m.FormatSenMLJSON, lwm2m.CodeUnsupportedContentFormat, "link-format"},
		{"bad links", `</1/0>,<garbage`, []string{"ep=x"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "offset"},
		{"not a path", `</1/0>,</abc>`, []string{"ep=x"}, lwm2m.FormatLinkFormat, lwm2m.CodeBadRequest, "abc"},
	}
	for _, tc := range tests {
		req := lc.Request(coap.POST, "rd")
		req.AddQuery(tc.query...)
		req.SetContentFormat(tc.cf)
		req.Payload = []byte(tc.links)
		r := roundTrip(t, lc, req)
		if r.Code != tc.code || !strings.Contains(string(r.Payload), tc.reason) || r.ContentFormat() != lwm2m.FormatText {
			t.Errorf("%s: got %v %q, want %v mentioning %q", tc.name, r.Code, r.Payload, tc.code, tc.reason)
		}
	}
	if len(s.Registrations()) != 0 {
		t.Fatalf("bad registrations were accepted: %v", s.Registrations())
	}
	// Unknown resources and methods.
	if r := roundTrip(t, lc, lc.Request(coap.POST, "xyz")); r.Code != lwm2m.CodeNotFound {
		t.Errorf("unknown path: %v", r)
	}
	if r := roundTrip(t, lc, lc.Request(coap.GET, "rd")); r.Code != lwm2m.CodeMethodNotAllowed {
		t.Errorf("GET /rd: %v", r)
	}
	if r := roundTrip(t, lc, lc.Request(coap.POST, "rd", "nosuchid")); r.Code != lwm2m.CodeNotFound {
		t.Errorf("update of an unknown registration: %v", r)
	}
	waitUntil(t, "bad-request events for the bad link payloads", func() bool { return rec.count("security bad-request") >= 2 })
}

func TestDuplicateRegistrationReplaces(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	s := startServer(t, cfg)
	lc := device(t, s)
	id1 := location(t, register(t, lc, `</1/0>`, "ep=dup", "lwm2m=1.1"))
	lc2 := device(t, s) // the same device after a reboot, from a new port
	id2 := location(t, register(t, lc2, `</1/0>,</3/0>`, "ep=dup", "lwm2m=1.1"))
	if id1 == id2 {
		t.Fatal("a new Register kept the registration id")
	}
	rec.waitEvent(t, "registered dup replacing "+id1)
	if regs := s.Registrations(); len(regs) != 1 || regs[0].ID != id2 || regs[0].Address != lc2.Addr() {
		t.Fatalf("registrations %+v", regs)
	}
	if r := roundTrip(t, lc, lc.Request(coap.POST, "rd", id1)); r.Code != lwm2m.CodeNotFound {
		t.Fatalf("update of the replaced registration: %v, want 4.04", r)
	}
}

func TestRetransmittedRegisterAnsweredOnce(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	s := startServer(t, cfg)
	lc := device(t, s)
	req := lc.Request(coap.POST, "rd")
	req.AddQuery("ep=retx", "lwm2m=1.1")
	req.Payload = []byte(`</1/0>`)
	first := roundTrip(t, lc, req)
	second := roundTrip(t, lc, req) // the ACK was lost: same message id
	a, _ := first.Encode()
	b, _ := second.Encode()
	if !bytes.Equal(a, b) {
		t.Fatalf("answers differ:\n%x\n%x", a, b)
	}
	rec.waitEvent(t, "registered retx")
	if n := rec.count("registered"); n != 1 {
		t.Fatalf("%d Registered events for one Register", n)
	}
	if regs := s.Registrations(); len(regs) != 1 || regs[0].ID != location(t, first) {
		t.Fatalf("registrations %+v", regs)
	}
}

func TestUpdateAfterExpiry(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	cfg.LifetimeGrace = time.Millisecond
	s := startServer(t, cfg)
	lc := device(t, s)
	id := location(t, register(t, lc, `</1/0>`, "ep=shortlived", "lt=1"))
	rec.waitEvent(t, "expired shortlived")
	if _, ok := s.Registration("shortlived"); ok {
		t.Fatal("still registered after expiry")
	}
	if r := roundTrip(t, lc, lc.Request(coap.POST, "rd", id)); r.Code != lwm2m.CodeNotFound {
		t.Fatalf("update after expiry: %v, want 4.04 so the device registers again", r)
	}
	location(t, register(t, lc, `</1/0>`, "ep=shortlived", "lt=60"))
}

func TestPlainUDPNeedsNoSec(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddPSK("secure-dev", "secure-id", []byte("k"))
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	lc := device(t, s)
	for _, ep := range []string{"stranger", "secure-dev"} {
		r := register(t, lc, `</1/0>`, "ep="+ep)
		if r.Code != lwm2m.CodeForbidden {
			t.Fatalf("%s over plain UDP: %v %q, want 4.03", ep, r, r.Payload)
		}
	}
	waitUntil(t, "two nosec-refused events", func() bool { return rec.count("security nosec-refused") == 2 })
	if len(s.Registrations()) != 0 {
		t.Fatal("refused devices are registered")
	}
}
