package server_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

func openServer(t *testing.T, rec *recorder) *server.Server {
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	cfg.Models = objects.New()
	return startServer(t, cfg)
}

func send(t *testing.T, s *server.Server, ep string, req lwm2m.Request) lwm2m.Response {
	t.Helper()
	resp, err := s.Send(testCtx(t), ep, req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Op, req.Path, err)
	}
	return resp
}

func req(op lwm2m.Operation, p string) lwm2m.Request { return lwm2m.NewRequest(op, lwm2m.MustPath(p)) }

func u32(v uint32) *uint32   { return &v }
func f64(v float64) *float64 { return &v }

func TestDownlinkOperations(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	dev := newFakeDevice(t)
	dev.connect(s, "ep=ops", "lwm2m=1.1")

	// Read at every depth; SenML CBOR is the 1.1 default.
	r := send(t, s, "ops", req(lwm2m.OpRead, "/3/0"))
	if r.Code != lwm2m.CodeContent || r.Format != lwm2m.FormatSenMLCBOR || r.Content == nil || len(r.Content.Children) != 3 {
		t.Fatalf("read /3/0: %+v", r)
	}
	if got := dev.last(); got.Code != coap.GET || got.PathString() != "/3/0" || got.Accept() != lwm2m.FormatSenMLCBOR {
		t.Fatalf("device saw %v accept %v", got, got.Accept())
	}
	if r = send(t, s, "ops", req(lwm2m.OpRead, "/3")); r.Content.Kind != lwm2m.KindObject {
		t.Fatalf("read /3: %+v", r.Content)
	}
	if r = send(t, s, "ops", req(lwm2m.OpRead, "/3/0/0")); r.Content.Value.Str() != "Shoal" {
		t.Fatalf("read /3/0/0: %+v", r.Content)
	}
	if r = send(t, s, "ops", req(lwm2m.OpRead, "/3/0/7/1")); r.Content.Value.Int() != 5000 {
		t.Fatalf("read /3/0/7/1: %+v", r.Content)
	}
	if r = send(t, s, "ops", req(lwm2m.OpRead, "/4/0")); r.Code != lwm2m.CodeNotFound || r.Err() == nil {
		t.Fatalf("read of a missing object: %+v", r)
	}

	// Discover.
	r = send(t, s, "ops", req(lwm2m.OpDiscover, "/3"))
	if len(r.Links) != 4 || r.Links[2].Target != "/3/0/7" || dev.last().Accept() != lwm2m.FormatLinkFormat {
		t.Fatalf("discover: %+v", r.Links)
	}

	// Write replace of a resource, partial update of an instance, a
	// resource instance.
	w := req(lwm2m.OpWrite, "/3/0/0")
	n := lwm2m.NewResource(0, lwm2m.StringValue("Renamed"))
	w.Content = &n
	if r = send(t, s, "ops", w); r.Code != lwm2m.CodeChanged || dev.last().Code != coap.PUT || dev.last().ContentFormat() != lwm2m.FormatSenMLCBOR {
		t.Fatalf("write: %+v %v", r, dev.last())
	}
	up := req(lwm2m.OpWriteUpdate, "/3/0")
	inst := lwm2m.NewInstance(0, lwm2m.NewResource(9, lwm2m.IntValue(55)), lwm2m.NewMultipleResource(7, lwm2m.NewResourceInstance(1, lwm2m.IntValue(4900))))
	up.Content = &inst
	if r = send(t, s, "ops", up); r.Code != lwm2m.CodeChanged || dev.last().Code != coap.POST {
		t.Fatalf("write update: %+v", r)
	}
	ri := req(lwm2m.OpWrite, "/3/0/7/0")
	riv := lwm2m.NewResourceInstance(0, lwm2m.IntValue(3700))
	ri.Content, ri.Format = &riv, lwm2m.FormatText
	send(t, s, "ops", ri)
	if got := dev.last(); got.ContentFormat() != lwm2m.FormatText || string(got.Payload) != "3700" {
		t.Fatalf("text write of a resource instance: %v %q", got, got.Payload)
	}
	if r = send(t, s, "ops", req(lwm2m.OpRead, "/3/0")); len(r.Content.Records(lwm2m.MustPath("/3/0"))) != 4 {
		t.Fatalf("after writes: %+v", r.Content)
	}
	for p, want := range map[string]int64{"/3/0/9": 55, "/3/0/7/1": 4900, "/3/0/7/0": 3700} {
		if v := send(t, s, "ops", req(lwm2m.OpRead, p)).Content.Value.Int(); v != want {
			t.Fatalf("%s = %d, want %d", p, v, want)
		}
	}

	// Write-Attributes.
	wa := req(lwm2m.OpWriteAttributes, "/3303/0/5700")
	wa.Attributes = lwm2m.Attributes{Pmin: u32(10), Pmax: u32(60), Gt: f64(30), Lt: f64(5), St: f64(0.5), Epmin: u32(1), Epmax: u32(120)}
	send(t, s, "ops", wa)
	if got := dev.last(); got.Code != coap.PUT || len(got.Payload) != 0 || queryString(got) != "pmin=10&pmax=60&gt=30&lt=5&st=0.5&epmin=1&epmax=120" {
		t.Fatalf("write-attributes sent %v %q", got, queryString(got))
	}

	// Execute with arguments.
	ex := req(lwm2m.OpExecute, "/3/0/4")
	ex.Args = "0='v',1"
	send(t, s, "ops", ex)
	if got := dev.last(); got.Code != coap.POST || got.PathString() != "/3/0/4" || string(got.Payload) != "0='v',1" {
		t.Fatalf("execute sent %v %q", got, got.Payload)
	}

	// Create with and without an instance id, then Delete.
	cr := req(lwm2m.OpCreate, "/3303")
	newInst := lwm2m.NewInstance(4, lwm2m.NewResource(5700, lwm2m.FloatValue(19)))
	cr.Content = &newInst
	if r = send(t, s, "ops", cr); r.Code != lwm2m.CodeCreated || r.Location != lwm2m.MustPath("/3303/4") {
		t.Fatalf("create: %+v", r)
	}
	cr2 := req(lwm2m.OpCreate, "/3303")
	cr2.Content, cr2.NoInstanceID = &newInst, true
	if r = send(t, s, "ops", cr2); r.Code != lwm2m.CodeCreated || r.Location != lwm2m.MustPath("/3303/7") || dev.last().ContentFormat() != lwm2m.FormatTLV {
		t.Fatalf("create without an id: %+v (%v)", r, dev.last())
	}
	if r = send(t, s, "ops", req(lwm2m.OpDelete, "/3303/4")); r.Code != lwm2m.CodeDeleted {
		t.Fatalf("delete: %+v", r)
	}
	if r = send(t, s, "ops", req(lwm2m.OpRead, "/3303/4")); r.Code != lwm2m.CodeNotFound {
		t.Fatalf("read after delete: %+v", r)
	}

	// Read-Composite and Write-Composite.
	rc := lwm2m.Request{Op: lwm2m.OpReadComposite, Paths: []lwm2m.Path{lwm2m.MustPath("/3/0/0"), lwm2m.MustPath("/3303/0/5700")}, Format: lwm2m.FormatNone}
	r = send(t, s, "ops", rc)
	if len(r.Records) != 2 || r.Records[0].Value.Str() != "Renamed" || dev.last().Code != coap.FETCH {
		t.Fatalf("read-composite: %+v", r.Records)
	}
	wc := lwm2m.Request{Op: lwm2m.OpWriteComposite, Format: lwm2m.FormatSenMLJSON, Records: []lwm2m.Record{
		{Path: lwm2m.MustPath("/3/0/0"), Value: lwm2m.StringValue("Composite")},
		{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(-3.5)},
	}}
	send(t, s, "ops", wc)
	if got := dev.last(); got.Code != coap.IPATCH || got.ContentFormat() != lwm2m.FormatSenMLJSON {
		t.Fatalf("write-composite sent %v", got)
	}
	if v := send(t, s, "ops", req(lwm2m.OpRead, "/3303/0/5700")).Content.Value.Float(); v != -3.5 {
		t.Fatalf("after write-composite: %v", v)
	}

	// Every operation produced an outcome event.
	waitUntil(t, "operation events", func() bool { return rec.count("operation ") >= 20 })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSendRejectsBadRequests(t *testing.T) {
	s := openServer(t, newRecorder())
	dev := newFakeDevice(t)
	dev.connect(s, "ep=bad", "lwm2m=1.1")
	if _, err := s.Send(testCtx(t), "nobody", req(lwm2m.OpRead, "/3/0")); !errors.Is(err, server.ErrNotRegistered) {
		t.Fatalf("unknown endpoint: %v", err)
	}
	if _, err := s.Send(testCtx(t), "bad", req(lwm2m.OpExecute, "/3/0")); !errors.Is(err, server.ErrInvalidRequest) {
		t.Fatalf("execute on an instance: %v", err)
	}
	w := req(lwm2m.OpWrite, "/3/0")
	inst := lwm2m.NewInstance(0, lwm2m.NewResource(0, lwm2m.StringValue("x")))
	w.Content, w.Format = &inst, lwm2m.FormatText // text cannot carry an instance: the server picks another format
	if r := send(t, s, "bad", w); r.Code != lwm2m.CodeChanged || dev.last().ContentFormat() == lwm2m.FormatText {
		t.Fatalf("instance write with text asked: %v", dev.last())
	}
	if _, err := s.Send(testCtx(t), "bad", lwm2m.Request{Op: lwm2m.OpCancelObserve, Path: lwm2m.MustPath("/3/0/0"), Format: lwm2m.FormatNone}); !errors.Is(err, server.ErrInvalidRequest) {
		t.Fatalf("cancelling an observation that does not exist: %v", err)
	}
}
