package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

const mgmtURI = "coaps://127.0.0.1:5684"

// TestDeleteSparesTheBootstrapAccount: with a Discover answer the server
// deletes the management accounts one by one and /1, never /0/0 (the
// bootstrap account), /3 or the root, and writes into free instances.
func TestDeleteSparesTheBootstrapAccount(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-s"] = true
	prov.plan = func(req Request, st DeviceState) (Plan, error) {
		if len(st.ServerAccounts) != 2 || st.ServerAccounts[1].ShortServerID != 6 || st.ServerAccounts[0].URI != "coap://old" {
			t.Errorf("discovered accounts %+v", st.ServerAccounts)
		}
		return pskPlan(mgmtURI, 4), nil
	}
	bs := startServer(t, prov, nil)
	disc := `</>;lwm2m=1.1,</0/0>;uri="coap://bs",</0/1>;ssid=5;uri="coap://old",</0/2>;ssid=6,</1/0>;ssid=5,</1/1>;ssid=6,</3/0>`
	d := newScriptedDevice(t, bs.UDPAddr(), obedient(disc))
	if r := d.request(t, "ep=dev-s"); r.Code != lwm2m.CodeChanged {
		t.Fatalf("Bootstrap-Request: %v", r)
	}
	res := prov.result(t)
	if !res.OK {
		t.Fatalf("session failed at %s: %v", res.Step, res.Err)
	}
	want := []string{"GET /", "GET /1", "DELETE /0/1", "DELETE /0/2", "DELETE /1", "PUT /0/1", "PUT /1/0", "POST /bs"}
	if got := d.requests(); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %q\nwant %q", got, want)
	}
	sec := d.writes["/0/1"]
	check := func(id uint16, want lwm2m.Value) {
		t.Helper()
		r, ok := sec.Child(id)
		if !ok || !r.Value.Equal(want) {
			t.Errorf("/0/1/%d = %v, want %v", id, r, want)
		}
	}
	check(0, lwm2m.StringValue(mgmtURI))
	check(1, lwm2m.BoolValue(false))
	check(2, lwm2m.IntValue(0))
	check(3, lwm2m.OpaqueValue([]byte("mgmt-id")))
	check(5, lwm2m.OpaqueValue([]byte("0123456789abcdef")))
	check(10, lwm2m.IntValue(4))
	srv := d.writes["/1/0"]
	if r, _ := srv.Child(0); r == nil || r.Value.Int() != 4 {
		t.Errorf("/1/0/0 (ssid) = %v", r)
	}
	if r, _ := srv.Child(7); r == nil || r.Value.Str() != "U" {
		t.Errorf("/1/0/7 (binding) = %v", r)
	}
	if res.Written[0] != (WrittenAccount{ShortServerID: 4, SecurityInstance: 1, ServerInstance: 0}) {
		t.Errorf("written %+v", res.Written)
	}
}

// TestUndiscoveredDeviceDeletesByObject: a device refusing Discover gets
// Delete /0 and /1 (the client keeps its bootstrap account) and its
// accounts start at /0/1.
func TestUndiscoveredDeviceDeletesByObject(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-u"] = true
	prov.plan = func(_ Request, st DeviceState) (Plan, error) {
		if st.Discovered || st.Version != "1.0" {
			t.Errorf("state %+v", st)
		}
		p := pskPlan(mgmtURI, 1)
		p.AccessControl = []AccessControl{{ObjectID: 3, InstanceID: 0, ACL: map[uint16]uint16{1: 1 | 2 | 4}, Owner: 1}}
		return p, nil
	}
	bs := startServer(t, prov, nil)
	d := newScriptedDevice(t, bs.UDPAddr(), obedient(""))
	d.request(t, "ep=dev-u")
	if res := prov.result(t); !res.OK {
		t.Fatalf("session failed: %v", res.Err)
	}
	want := []string{"GET /", "DELETE /0", "DELETE /1", "DELETE /2", "PUT /0/1", "PUT /1/0", "PUT /2/0", "POST /bs"}
	if got := d.requests(); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %q\nwant %q", got, want)
	}
	acl := d.writes["/2/0"]
	if r, ok := acl.Find(2, 1); !ok || r.Value.Int() != 7 {
		t.Errorf("/2/0/2/1 = %v", r)
	}
}

// TestRejectedWriteFailsTheSession: the device's code and the path are
// reported, and nothing after the failed write is sent.
func TestRejectedWriteFailsTheSession(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-w"] = true
	prov.plan = func(Request, DeviceState) (Plan, error) { return pskPlan(mgmtURI, 2), nil }
	bs := startServer(t, prov, nil)
	ok := obedient("</>;lwm2m=1.1,</0/0>")
	d := newScriptedDevice(t, bs.UDPAddr(), func(m *coap.Message) *coap.Message {
		if m.Code == coap.PUT && m.PathString() == "/1/0" {
			return coap.ErrorResponse(lwm2m.CodeBadRequest, "binding not supported")
		}
		return ok(m)
	})
	d.request(t, "ep=dev-w", "pct=110")
	res := prov.result(t)
	if res.OK || res.Step != StepWrite || res.Code != lwm2m.CodeBadRequest || res.Path.String() != "/1/0" {
		t.Fatalf("result ok %v step %s code %v path %v", res.OK, res.Step, res.Code, res.Path)
	}
	if !strings.Contains(res.Err.Error(), "binding not supported") || !isStatus(res.Err, lwm2m.CodeBadRequest) {
		t.Fatalf("error %v", res.Err)
	}
	if res.Format != lwm2m.FormatSenMLJSON || res.Plan.Ref != 7 {
		t.Fatalf("format %v ref %d", res.Format, res.Plan.Ref)
	}
	if got := d.requests(); slices.Contains(got, "POST /bs") {
		t.Fatalf("finished after a failed write: %q", got)
	}
}

// TestBadFinishIsReported: a device that refuses Bootstrap-Finish ends
// the session as failed at the finish step with its code.
func TestBadFinishIsReported(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-f"] = true
	prov.plan = func(Request, DeviceState) (Plan, error) { return pskPlan(mgmtURI, 2), nil }
	bs := startServer(t, prov, nil)
	ok := obedient("</>;lwm2m=1.1,</0/0>")
	d := newScriptedDevice(t, bs.UDPAddr(), func(m *coap.Message) *coap.Message {
		if m.Code == coap.POST {
			return coap.ErrorResponse(lwm2m.CodeNotAcceptable, "no usable account")
		}
		return ok(m)
	})
	d.request(t, "ep=dev-f")
	res := prov.result(t)
	if res.OK || res.Step != StepFinish || res.Code != lwm2m.CodeNotAcceptable || len(res.Written) != 1 {
		t.Fatalf("result ok %v step %s code %v written %v err %v", res.OK, res.Step, res.Code, res.Written, res.Err)
	}
}

// TestPlanErrorsFailTheSession: a provisioner error or an invalid plan
// stops the session before anything is deleted.
func TestPlanErrorsFailTheSession(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-p"] = true
	calls := 0
	prov.plan = func(Request, DeviceState) (Plan, error) {
		calls++
		if calls == 1 {
			return Plan{}, errors.New("no bootstrap configuration")
		}
		p := pskPlan(mgmtURI, 2)
		p.Accounts = append(p.Accounts, p.Accounts[0]) // duplicate ssid
		return p, nil
	}
	bs := startServer(t, prov, nil)
	for i := range 2 {
		d := newScriptedDevice(t, bs.UDPAddr(), obedient("</>;lwm2m=1.0"))
		d.request(t, "ep=dev-p")
		res := prov.result(t)
		if res.OK || res.Step != StepPlan {
			t.Fatalf("attempt %d: ok %v step %s", i, res.OK, res.Step)
		}
		if i == 1 && !errors.Is(res.Err, ErrPlan) {
			t.Fatalf("invalid plan: %v", res.Err)
		}
		for _, r := range d.requests() {
			if strings.HasPrefix(r, "DELETE") || strings.HasPrefix(r, "PUT") {
				t.Fatalf("attempt %d sent %s after a failed plan", i, r)
			}
		}
	}
}

// TestRefusedRequests: unknown endpoints get 4.03 and a security event;
// malformed requests 4.00; other paths and methods 4.04 and 4.05.
func TestRefusedRequests(t *testing.T) {
	prov := newTestProvisioner()
	prov.plan = func(Request, DeviceState) (Plan, error) { t.Error("planned"); return Plan{}, nil }
	bs := startServer(t, prov, nil)
	d := newScriptedDevice(t, bs.UDPAddr(), obedient(""))
	if r := d.request(t, "ep=stranger"); r.Code != lwm2m.CodeForbidden {
		t.Fatalf("unknown endpoint: %v", r)
	}
	ev := prov.event(t, "bootstrap-refused")
	if ev.Endpoint != "stranger" || !strings.Contains(ev.Reason, "unknown endpoint") {
		t.Fatalf("security event %+v", ev)
	}
	for q, want := range map[string]string{"": "ep parameter", "pct=x;ep=a": "pct", "ep=": "empty"} {
		var qs []string
		if q != "" {
			qs = strings.Split(q, ";")
		}
		r := d.request(t, qs...)
		if r.Code != lwm2m.CodeBadRequest || !strings.Contains(string(r.Payload), want) {
			t.Errorf("query %q: %v %q", q, r.Code, r.Payload)
		}
	}
	ctx := context.Background()
	r, err := d.conn.Do(ctx, coap.NewRequest(coap.GET, "bs"))
	if err != nil || r.Code != lwm2m.CodeMethodNotAllowed {
		t.Errorf("GET /bs: %v %v", r, err)
	}
	r, err = d.conn.Do(ctx, coap.NewRequest(coap.POST, "rd"))
	if err != nil || r.Code != lwm2m.CodeNotFound {
		t.Errorf("POST /rd: %v %v", r, err)
	}
}

// TestNewRequestSupersedesSession: a second Bootstrap-Request of the same
// endpoint cancels the first session, which reports first.
func TestNewRequestSupersedesSession(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-2"] = true
	prov.plan = func(Request, DeviceState) (Plan, error) { return pskPlan(mgmtURI, 2), nil }
	bs := startServer(t, prov, nil)
	// The first device acknowledges the Discover but never answers it.
	first := newScriptedDevice(t, bs.UDPAddr(), func(*coap.Message) *coap.Message { return nil })
	first.request(t, "ep=dev-2")
	second := newScriptedDevice(t, bs.UDPAddr(), obedient("</>;lwm2m=1.1,</0/0>"))
	second.request(t, "ep=dev-2")
	r1, r2 := prov.result(t), prov.result(t)
	if r1.OK || !errors.Is(r1.Err, ErrSuperseded) || r1.Step != StepDiscover {
		t.Fatalf("first session: ok %v step %s err %v", r1.OK, r1.Step, r1.Err)
	}
	if !r2.OK {
		t.Fatalf("second session: %v", r2.Err)
	}
}

// TestServeEndsSessions: stopping the server ends a session in progress
// (reported as ErrClosed) and Serve returns.
func TestServeEndsSessions(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-c"] = true
	s, err := New(Config{CoAPAddr: "127.0.0.1:0", Provisioner: prov, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.Ready()
	d := newScriptedDevice(t, s.UDPAddr(), func(*coap.Message) *coap.Message { return nil })
	d.request(t, "ep=dev-c")
	for len(s.Sessions()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res := prov.result(t)
	if res.OK || !errors.Is(res.Err, ErrClosed) {
		t.Fatalf("result ok %v err %v", res.OK, res.Err)
	}
}

// TestPlanValidation: plans that cannot be written are refused with
// ErrPlan naming the account.
func TestPlanValidation(t *testing.T) {
	good := func() Plan { return pskPlan(mgmtURI, 1) }
	cases := map[string]func(*Plan){
		"no account":     func(p *Plan) { p.Accounts = nil },
		"ssid 0":         func(p *Plan) { p.Accounts[0].ShortServerID = 0 },
		"ssid 65535":     func(p *Plan) { p.Accounts[0].ShortServerID = 65535 },
		"bad uri":        func(p *Plan) { p.Accounts[0].URI = "http://x" },
		"psk on coap":    func(p *Plan) { p.Accounts[0].URI = "coap://x" },
		"no key":         func(p *Plan) { p.Accounts[0].SecretKey = nil },
		"nosec on coaps": func(p *Plan) { p.Accounts[0].Mode = ModeNoSec },
		"rpk":            func(p *Plan) { p.Accounts[0].Mode = ModeRPK },
		"short lifetime": func(p *Plan) { p.Accounts[0].Lifetime = time.Millisecond },
		"pmin over pmax": func(p *Plan) { p.Accounts[0].DefaultMinPeriod, p.Accounts[0].DefaultMaxPeriod = 10, 5 },
		"acl on /0":      func(p *Plan) { p.AccessControl = []AccessControl{{ObjectID: 0, Owner: 1}} },
		"acl stranger ssid": func(p *Plan) {
			p.AccessControl = []AccessControl{{ObjectID: 3, Owner: 1, ACL: map[uint16]uint16{9: 1}}}
		},
	}
	for name, mod := range cases {
		p := good()
		mod(&p)
		if err := validatePlan(&p); !errors.Is(err, ErrPlan) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p := good()
	if err := validatePlan(&p); err != nil || p.Accounts[0].Binding != "U" {
		t.Fatalf("good plan: %v, binding %q", err, p.Accounts[0].Binding)
	}
	if !bytes.Equal(p.Accounts[0].Identity, []byte("mgmt-id")) {
		t.Fatal("validation changed the identity")
	}
}

// TestReadsAccessControlWhenListed: a 1.1 device whose Discover lists /2
// gets a Bootstrap-Read of /1 and of /2, and the plan sees what it read.
func TestReadsAccessControlWhenListed(t *testing.T) {
	prov := newTestProvisioner()
	prov.known["dev-acl"] = true
	var seen DeviceState
	prov.plan = func(_ Request, st DeviceState) (Plan, error) { seen = st; return pskPlan(mgmtURI, 1), nil }
	bs := startServer(t, prov, nil)
	ok := obedient(`</>;lwm2m=1.1,</0/0>,</2/0>,</3/0>`)
	acl := lwm2m.NewObject(2, aclInstance(0, &AccessControl{ObjectID: 3, InstanceID: 0, ACL: map[uint16]uint16{1: 1}, Owner: 1}))
	d := newScriptedDevice(t, bs.UDPAddr(), func(m *coap.Message) *coap.Message {
		if m.Code == coap.GET && m.PathString() == "/2" {
			b, err := newCodecs().Encode(lwm2m.FormatTLV, lwm2m.ObjectPath(2), &acl)
			if err != nil {
				t.Error(err)
			}
			r := coap.NewResponse(lwm2m.CodeContent, b)
			r.SetContentFormat(lwm2m.FormatTLV)
			return r
		}
		return ok(m)
	})
	d.request(t, "ep=dev-acl")
	if res := prov.result(t); !res.OK {
		t.Fatalf("session: %v", res.Err)
	}
	got := d.requests()
	if len(got) < 3 || got[1] != "GET /1" || got[2] != "GET /2" {
		t.Fatalf("requests %q", got)
	}
	if seen.AccessControl == nil {
		t.Fatal("the plan did not see /2")
	}
	if r, ok := seen.AccessControl.Find(0, 3); !ok || r.Value.Int() != 1 {
		t.Fatalf("/2/0/3 read as %v", r)
	}
}
