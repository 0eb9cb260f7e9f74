package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

// fakeDevice is a minimal LwM2M device on the coap client API: a flat
// store of resource values, answers for every operation in the format the
// server asks for, and a log of what it was sent. It is just enough device
// to check what the server puts on the wire and reads back.
type fakeDevice struct {
	t      *testing.T
	codecs *codec.Registry
	models lwm2m.ModelProvider
	conn   *coap.Conn
	// deflt answers reads without Accept.
	deflt lwm2m.ContentFormat

	mu     sync.Mutex
	values map[lwm2m.Path]lwm2m.Value
	seen   []*coap.Message
	obs    map[string]*coap.Message // observe requests by path key
	nextID uint16
}

func newFakeDevice(t *testing.T) *fakeDevice {
	d := &fakeDevice{t: t, codecs: std.New(), models: objects.New(), deflt: lwm2m.FormatSenMLCBOR,
		values: map[lwm2m.Path]lwm2m.Value{}, obs: map[string]*coap.Message{}, nextID: 7}
	d.set("/3/0/0", lwm2m.StringValue("Shoal"))
	d.set("/3/0/9", lwm2m.IntValue(80))
	d.set("/3/0/7/0", lwm2m.IntValue(3800))
	d.set("/3/0/7/1", lwm2m.IntValue(5000))
	d.set("/3303/0/5700", lwm2m.FloatValue(21.5))
	return d
}

func (d *fakeDevice) set(p string, v lwm2m.Value) {
	d.values[lwm2m.MustPath(p)] = v
}

// connect dials the server over UDP and registers.
func (d *fakeDevice) connect(s *server.Server, query ...string) string {
	c, err := coap.Dial(testCtx(d.t), s.UDPAddr().String(), coap.DialConfig{LocalAddr: "127.0.0.1:0", Config: coap.Config{Handler: d}})
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { _ = c.Close() })
	d.conn = c
	r := do(d.t, c, registerReq(`</1/0>,</3/0>,</3303/0>`, query...))
	if r.Code != lwm2m.CodeCreated {
		d.t.Fatalf("register: %v %q", r, r.Payload)
	}
	return r.LocationPath()[1]
}

// requests returns what the device was sent, in order.
func (d *fakeDevice) requests() []*coap.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*coap.Message(nil), d.seen...)
}

func (d *fakeDevice) last() *coap.Message {
	r := d.requests()
	return r[len(r)-1]
}

func (d *fakeDevice) path(req *coap.Message) lwm2m.Path {
	p, err := lwm2m.PathFromSegments(req.Path())
	if err != nil {
		d.t.Errorf("device got a bad path %v: %v", req.Path(), err)
	}
	return p
}

// node builds the node at p from the stored values.
func (d *fakeDevice) node(p lwm2m.Path) (lwm2m.Node, bool) {
	var recs []lwm2m.Record
	for q, v := range d.values {
		if q.HasPrefix(p) {
			recs = append(recs, lwm2m.Record{Path: q, Value: v})
		}
	}
	if len(recs) == 0 {
		return lwm2m.Node{}, false
	}
	n, err := lwm2m.BuildNode(p, recs)
	return n, err == nil
}

func (d *fakeDevice) store(recs []lwm2m.Record) {
	for _, r := range recs {
		d.values[r.Path] = r.Value
	}
}

func respond(code lwm2m.Code, f lwm2m.ContentFormat, payload []byte) *coap.Message {
	m := coap.NewResponse(code, payload)
	m.SetContentFormat(f)
	return m
}

func (d *fakeDevice) ServeCoAP(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = append(d.seen, req.Clone())
	p := d.path(req)
	accept := req.Accept()
	if accept == lwm2m.FormatNone {
		accept = d.deflt
	}
	switch req.Code {
	case coap.GET:
		if accept == lwm2m.FormatLinkFormat {
			return respond(lwm2m.CodeContent, lwm2m.FormatLinkFormat, []byte(`</3/0>;pmin=10,</3/0/0>,</3/0/7>;dim=2,</3/0/9>`))
		}
		n, ok := d.node(p)
		if !ok {
			return coap.NewResponse(lwm2m.CodeNotFound, nil)
		}
		b, err := d.codecs.Encode(accept, p, &n)
		if err != nil {
			return coap.NewResponse(lwm2m.CodeNotAcceptable, []byte(err.Error()))
		}
		r := respond(lwm2m.CodeContent, accept, b)
		if v, ok := req.Observe(); ok && v == 0 {
			d.obs[p.String()] = req.Clone()
			r.SetObserve(1)
		} else if ok && v == 1 {
			delete(d.obs, p.String())
		}
		return r
	case coap.PUT:
		if len(req.Payload) == 0 { // Write-Attributes
			return coap.NewResponse(lwm2m.CodeChanged, nil)
		}
		fallthrough
	case coap.POST:
		switch {
		case req.Code == coap.POST && p.IsResource(): // Execute
			return coap.NewResponse(lwm2m.CodeChanged, nil)
		case req.Code == coap.POST && p.IsObject(): // Create
			recs, err := d.codecs.DecodeRecords(req.ContentFormat(), p, req.Payload, d.models)
			if err != nil {
				// Without an instance id: TLV resources of the new instance.
				recs, err = d.codecs.DecodeRecords(req.ContentFormat(), p.Child(d.nextID), req.Payload, d.models)
			}
			if err != nil || len(recs) == 0 {
				return coap.NewResponse(lwm2m.CodeBadRequest, []byte(fmt.Sprint(err)))
			}
			inst := recs[0].Path.Instance()
			if inst == d.nextID {
				d.nextID++
			}
			d.store(recs)
			r := coap.NewResponse(lwm2m.CodeCreated, nil)
			r.SetLocationPath(req.Path()[0], fmt.Sprint(inst))
			return r
		}
		recs, err := d.codecs.DecodeRecords(req.ContentFormat(), p, req.Payload, d.models)
		if err != nil {
			return coap.NewResponse(lwm2m.CodeBadRequest, []byte(err.Error()))
		}
		d.store(recs)
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	case coap.DELETE:
		for q := range d.values {
			if q.HasPrefix(p) {
				delete(d.values, q)
			}
		}
		return coap.NewResponse(lwm2m.CodeDeleted, nil)
	case coap.FETCH:
		paths, err := d.codecs.DecodeRecords(req.ContentFormat(), lwm2m.Root, req.Payload, d.models)
		if err != nil {
			return coap.NewResponse(lwm2m.CodeBadRequest, []byte(err.Error()))
		}
		var out []lwm2m.Record
		for _, want := range paths {
			if n, ok := d.node(want.Path); ok {
				out = append(out, n.Records(want.Path)...)
			}
		}
		b, err := d.codecs.EncodeRecords(accept, lwm2m.Root, out)
		if err != nil {
			return coap.NewResponse(lwm2m.CodeNotAcceptable, nil)
		}
		r := respond(lwm2m.CodeContent, accept, b)
		if v, ok := req.Observe(); ok && v == 0 {
			d.obs["composite"] = req.Clone()
			r.SetObserve(1)
		}
		return r
	case coap.IPATCH:
		recs, err := d.codecs.DecodeRecords(req.ContentFormat(), lwm2m.Root, req.Payload, d.models)
		if err != nil {
			return coap.NewResponse(lwm2m.CodeBadRequest, []byte(err.Error()))
		}
		d.store(recs)
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	}
	return coap.NewResponse(lwm2m.CodeMethodNotAllowed, nil)
}

// notify sends a notification for the observation of key (a path, or
// "composite") with the current values.
func (d *fakeDevice) notify(key string, seq uint32, confirmable bool) error {
	d.mu.Lock()
	obs := d.obs[key]
	var payload []byte
	var f lwm2m.ContentFormat
	if obs != nil {
		f = obs.Accept()
		if key == "composite" {
			paths, _ := d.codecs.DecodeRecords(obs.ContentFormat(), lwm2m.Root, obs.Payload, d.models)
			var out []lwm2m.Record
			for _, want := range paths {
				if n, ok := d.node(want.Path); ok {
					out = append(out, n.Records(want.Path)...)
				}
			}
			payload, _ = d.codecs.EncodeRecords(f, lwm2m.Root, out)
		} else {
			p := lwm2m.MustPath(key)
			n, _ := d.node(p)
			payload, _ = d.codecs.Encode(f, p, &n)
		}
	}
	d.mu.Unlock()
	if obs == nil {
		return fmt.Errorf("no observation of %s", key)
	}
	n := respond(lwm2m.CodeContent, f, payload)
	n.SetObserve(seq)
	if !confirmable {
		n.Type = coap.NonConfirmable
	}
	return d.conn.Peer().Notify(testCtx(d.t), obs, n)
}

func queryString(m *coap.Message) string { return strings.Join(m.Query(), "&") }
