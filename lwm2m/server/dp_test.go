package server_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

func (r *recorder) sent() []server.SendEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]server.SendEvent(nil), r.sends...)
}

func TestSendOperation(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	dev := newFakeDevice(t)
	dev.connect(s, "ep=sender", "lwm2m=1.1")
	codecs := std.New()
	past := time.Unix(1700000000, 0).UTC()
	recs := []lwm2m.Record{
		{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(20.5), Time: past},
		{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(21)},
	}
	for _, f := range []lwm2m.ContentFormat{lwm2m.FormatSenMLCBOR, lwm2m.FormatSenMLJSON, lwm2m.FormatLwM2MCBOR} {
		in := recs
		if f == lwm2m.FormatLwM2MCBOR {
			in = recs[1:] // LwM2M CBOR carries no timestamps
		}
		payload, err := codecs.EncodeRecords(f, lwm2m.Root, in)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		m := coap.NewRequest(coap.POST, "dp")
		m.SetContentFormat(f)
		m.Payload = payload
		before := time.Now()
		if r := do(t, dev.conn, m); r.Code != lwm2m.CodeChanged {
			t.Fatalf("%v send: %v %q", f, r, r.Payload)
		}
		waitUntil(t, "send event", func() bool { return len(rec.sent()) > 0 })
		ev := rec.sent()[len(rec.sent())-1]
		rec.mu.Lock()
		rec.sends = nil
		rec.mu.Unlock()
		if ev.Endpoint != "sender" || ev.Format != f || len(ev.Records) != len(in) {
			t.Fatalf("%v: event %+v", f, ev)
		}
		last := ev.Records[len(in)-1]
		if len(in) == 2 && !ev.Records[0].Time.Equal(past) || last.Time.Before(before) || last.Value.Float() != 21 {
			t.Fatalf("%v: records %+v", f, ev.Records)
		}
	}

	bad := func(cf lwm2m.ContentFormat, payload []byte, code lwm2m.Code) {
		t.Helper()
		m := coap.NewRequest(coap.POST, "dp")
		m.SetContentFormat(cf)
		m.Payload = payload
		if r := do(t, dev.conn, m); r.Code != code || len(r.Payload) == 0 {
			t.Fatalf("send %v %x: %v %q, want %v with a reason", cf, payload, r, r.Payload, code)
		}
	}
	bad(lwm2m.FormatTLV, []byte{0xc1, 0, 1}, lwm2m.CodeUnsupportedContentFormat)
	bad(lwm2m.FormatSenMLCBOR, []byte{0x82, 0xff}, lwm2m.CodeBadRequest)
	bad(lwm2m.FormatSenMLJSON, []byte(`[{"n":"/3/0/0","v":`), lwm2m.CodeBadRequest)
	rec.waitEvent(t, "security bad-request")

	// A Send from a device that never registered.
	lc := device(t, s)
	m := lc.Request(coap.POST, "dp")
	m.SetContentFormat(lwm2m.FormatSenMLJSON)
	m.Payload = []byte(`[{"n":"/3/0/0","vs":"x"}]`)
	if r := roundTrip(t, lc, m); r.Code != lwm2m.CodeNotFound {
		t.Fatalf("unregistered send: %v", r)
	}
}

func TestRequestTimeout(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	lc := device(t, s)
	location(t, register(t, lc, `</3/0>`, "ep=silent"))
	rq := req(lwm2m.OpRead, "/3/0/0")
	rq.Timeout = 150 * time.Millisecond
	_, err := s.Send(testCtx(t), "silent", rq)
	if !errors.Is(err, server.ErrTimeout) || errors.Is(err, server.ErrDeviceAsleep) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	rec.waitEvent(t, "operation read")
	rec.mu.Lock()
	op := rec.ops[len(rec.ops)-1]
	rec.mu.Unlock()
	if !errors.Is(op.Err, server.ErrTimeout) || op.Code != 0 || !strings.Contains(op.Err.Error(), "silent") {
		t.Fatalf("operation event %+v", op)
	}
}
