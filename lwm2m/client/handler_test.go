package client

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

func req(method lwm2m.Code, path string, f lwm2m.ContentFormat, payload []byte) *coap.Message {
	p := lwm2m.MustPath(path)
	m := coap.NewRequest(method, p.Segments()...)
	if f != lwm2m.FormatNone {
		m.SetContentFormat(f)
	}
	m.Payload = payload
	return m
}

func serve(t *testing.T, c *Client, m *coap.Message) *coap.Message {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	resp := c.handle(m, byServer)
	if resp == nil {
		t.Fatalf("%s: no answer", m)
	}
	return resp
}

func wantResp(t *testing.T, resp *coap.Message, code lwm2m.Code) {
	t.Helper()
	if resp.Code != code {
		t.Fatalf("got %s (%s), want %s", resp.Code, resp.Payload, code)
	}
}

func TestHandleReadFormats(t *testing.T) {
	c, _ := newTestClient(t, nil)
	// Default for 1.1: SenML CBOR.
	resp := serve(t, c, req(coap.GET, "/3/0", lwm2m.FormatNone, nil))
	wantResp(t, resp, lwm2m.CodeContent)
	if resp.ContentFormat() != lwm2m.FormatSenMLCBOR {
		t.Fatalf("default format %s", resp.ContentFormat())
	}
	n, err := c.codecs.Decode(lwm2m.FormatSenMLCBOR, lwm2m.MustPath("/3/0"), resp.Payload, c.models)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := n.Child(0); !ok || r.Value.Str() != "Shoal" {
		t.Fatalf("decoded %+v", n)
	}
	// Accept honoured.
	m := req(coap.GET, "/3/0/0", lwm2m.FormatNone, nil)
	m.SetAccept(lwm2m.FormatText)
	resp = serve(t, c, m)
	wantResp(t, resp, lwm2m.CodeContent)
	if resp.ContentFormat() != lwm2m.FormatText || string(resp.Payload) != "Shoal" {
		t.Fatalf("text read: %s %q", resp.ContentFormat(), resp.Payload)
	}
	// 4.06: a format the client does not have, or one that cannot carry
	// an instance.
	m = req(coap.GET, "/3/0", lwm2m.FormatNone, nil)
	m.SetAccept(lwm2m.ContentFormat(9999))
	wantResp(t, serve(t, c, m), lwm2m.CodeNotAcceptable)
	m = req(coap.GET, "/3/0", lwm2m.FormatNone, nil)
	m.SetAccept(lwm2m.FormatText)
	wantResp(t, serve(t, c, m), lwm2m.CodeNotAcceptable)
}

func TestHandle10DefaultsToTLV(t *testing.T) {
	c, _ := newTestClient(t, func(cfg *Config) { cfg.Version = "1.0" })
	resp := serve(t, c, req(coap.GET, "/3/0", lwm2m.FormatNone, nil))
	wantResp(t, resp, lwm2m.CodeContent)
	if resp.ContentFormat() != lwm2m.FormatTLV {
		t.Fatalf("1.0 default format %s", resp.ContentFormat())
	}
	wantResp(t, serve(t, c, req(coap.FETCH, "/", lwm2m.FormatSenMLCBOR, nil)), lwm2m.CodeMethodNotAllowed)
}

func TestHandleWrite(t *testing.T) {
	c, _ := newTestClient(t, nil)
	wantResp(t, serve(t, c, req(coap.PUT, "/1/0/1", lwm2m.FormatText, []byte("120"))), lwm2m.CodeChanged)
	if v, _ := c.Get(lwm2m.MustPath("/1/0/1")); v.Int() != 120 {
		t.Fatalf("lifetime %v", v)
	}
	if !c.wantUpdate {
		t.Error("writing the lifetime must trigger an Update")
	}
	// TLV partial update of an instance.
	n := lwm2m.NewInstance(0, lwm2m.NewResource(2, lwm2m.IntValue(7)))
	b, err := c.codecs.Encode(lwm2m.FormatTLV, lwm2m.MustPath("/1/0"), &n)
	if err != nil {
		t.Fatal(err)
	}
	wantResp(t, serve(t, c, req(coap.POST, "/1/0", lwm2m.FormatTLV, b)), lwm2m.CodeChanged)
	if v, _ := c.Get(lwm2m.MustPath("/1/0/2")); v.Int() != 7 {
		t.Fatalf("/1/0/2 = %v", v)
	}
	// 4.15 for a format without codec, 4.00 for none or a malformed payload.
	wantResp(t, serve(t, c, req(coap.PUT, "/1/0/1", lwm2m.ContentFormat(9999), []byte("1"))), lwm2m.CodeUnsupportedContentFormat)
	wantResp(t, serve(t, c, req(coap.PUT, "/1/0/1", lwm2m.FormatNone, []byte("1"))), lwm2m.CodeBadRequest)
	wantResp(t, serve(t, c, req(coap.PUT, "/1/0", lwm2m.FormatTLV, []byte{0xff, 0x01})), lwm2m.CodeBadRequest)
	wantResp(t, serve(t, c, req(coap.PUT, "/1/0/1", lwm2m.FormatText, []byte("x"))), lwm2m.CodeBadRequest)
	wantResp(t, serve(t, c, req(coap.PUT, "/3/0/9", lwm2m.FormatText, []byte("50"))), lwm2m.CodeMethodNotAllowed)
	wantResp(t, serve(t, c, req(coap.PUT, "/1/4/1", lwm2m.FormatText, []byte("50"))), lwm2m.CodeNotFound)
	wantResp(t, serve(t, c, req(coap.PUT, "/0/0/0", lwm2m.FormatText, []byte("coap://x"))), lwm2m.CodeUnauthorized)
	// Unknown paths and methods.
	m := coap.NewRequest(coap.GET, "3", "zero")
	wantResp(t, serve(t, c, m), lwm2m.CodeNotFound)
	m = coap.NewRequest(coap.PATCH, "3", "0")
	wantResp(t, serve(t, c, m), lwm2m.CodeMethodNotAllowed)
}

func TestHandleExecuteCreateDelete(t *testing.T) {
	c, _ := newTestClient(t, nil)
	wantResp(t, serve(t, c, req(coap.POST, "/1/0/8", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	wantResp(t, serve(t, c, req(coap.POST, "/1/0/8", lwm2m.FormatNone, []byte("0='x"))), lwm2m.CodeBadRequest)
	wantResp(t, serve(t, c, req(coap.POST, "/3/0/9", lwm2m.FormatNone, nil)), lwm2m.CodeMethodNotAllowed)

	// Create with an instance id (SenML CBOR) and without (TLV, bare resources).
	recs := []lwm2m.Record{{Path: lwm2m.MustPath("/3303/4/5750"), Value: lwm2m.StringValue("attic")}}
	b, err := c.codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.MustPath("/3303"), recs)
	if err != nil {
		t.Fatal(err)
	}
	resp := serve(t, c, req(coap.POST, "/3303", lwm2m.FormatSenMLCBOR, b))
	wantResp(t, resp, lwm2m.CodeCreated)
	if got := resp.PathString(); got == "" {
		t.Fatal("no response")
	}
	if loc := resp.LocationPath(); len(loc) != 2 || loc[1] != "4" {
		t.Fatalf("location %v", loc)
	}
	in := lwm2m.NewInstance(1, lwm2m.NewResource(5750, lwm2m.StringValue("cellar")))
	b, err = c.codecs.Encode(lwm2m.FormatTLV, lwm2m.MustPath("/3303/1"), &in)
	if err != nil {
		t.Fatal(err)
	}
	resp = serve(t, c, req(coap.POST, "/3303", lwm2m.FormatTLV, b))
	wantResp(t, resp, lwm2m.CodeCreated)
	if v, err := c.Get(lwm2m.MustPath("/3303/1/5750")); err != nil || v.Str() != "cellar" {
		t.Fatalf("created instance: %v %v", v, err)
	}
	wantResp(t, serve(t, c, req(coap.DELETE, "/3303/4", lwm2m.FormatNone, nil)), lwm2m.CodeDeleted)
	wantResp(t, serve(t, c, req(coap.DELETE, "/3303/4", lwm2m.FormatNone, nil)), lwm2m.CodeNotFound)
	if !c.wantObjects {
		t.Error("create/delete must put the object list in the next Update")
	}
}

func TestHandleAttributesDiscover(t *testing.T) {
	c, _ := newTestClient(t, nil)
	m := req(coap.PUT, "/3/0/9", lwm2m.FormatNone, nil)
	m.AddQuery("pmin=5", "gt=30")
	wantResp(t, serve(t, c, m), lwm2m.CodeChanged)
	m = req(coap.PUT, "/3/0/9", lwm2m.FormatNone, nil)
	m.AddQuery("pmin=abc")
	wantResp(t, serve(t, c, m), lwm2m.CodeBadRequest)
	m = req(coap.PUT, "/3/0/9", lwm2m.FormatNone, nil)
	wantResp(t, serve(t, c, m), lwm2m.CodeBadRequest)
	m = req(coap.GET, "/3/0/9", lwm2m.FormatNone, nil)
	m.SetAccept(lwm2m.FormatLinkFormat)
	resp := serve(t, c, m)
	wantResp(t, resp, lwm2m.CodeContent)
	if string(resp.Payload) != "</3/0/9>;pmin=5;gt=30" {
		t.Fatalf("discover: %s", resp.Payload)
	}
}

func TestHandleComposite(t *testing.T) {
	c, _ := newTestClient(t, nil)
	names := []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/9")}, {Path: lwm2m.MustPath("/3303/0/5700")}, {Path: lwm2m.MustPath("/3303/9")}}
	b, err := c.codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root, names)
	if err != nil {
		t.Fatal(err)
	}
	resp := serve(t, c, req(coap.FETCH, "/", lwm2m.FormatSenMLCBOR, b))
	wantResp(t, resp, lwm2m.CodeContent)
	recs, err := c.codecs.DecodeRecords(resp.ContentFormat(), lwm2m.Root, resp.Payload, c.models)
	if err != nil || len(recs) != 2 {
		t.Fatalf("read-composite: %v %+v", err, recs)
	}
	w := []lwm2m.Record{{Path: lwm2m.MustPath("/1/0/1"), Value: lwm2m.IntValue(77)}, {Path: lwm2m.MustPath("/3/0/15"), Value: lwm2m.StringValue("Europe/Paris")}}
	b, _ = c.codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root, w)
	wantResp(t, serve(t, c, req(coap.IPATCH, "/", lwm2m.FormatSenMLCBOR, b)), lwm2m.CodeChanged)
	if v, _ := c.Get(lwm2m.MustPath("/3/0/15")); v.Str() != "Europe/Paris" {
		t.Fatal("write-composite lost")
	}
	wantResp(t, serve(t, c, req(coap.FETCH, "/3", lwm2m.FormatSenMLCBOR, b)), lwm2m.CodeMethodNotAllowed)
}

func TestHandleObserveAndCancel(t *testing.T) {
	c, clk := newTestClient(t, nil)
	m := req(coap.GET, "/3303/0/5700", lwm2m.FormatNone, nil)
	m.SetObserve(0)
	m.Token, _ = coap.TokenFromBytes([]byte{1, 2})
	resp := serve(t, c, m)
	wantResp(t, resp, lwm2m.CodeContent)
	if _, ok := resp.Observe(); !ok || len(c.obs.list) != 1 {
		t.Fatal("observe not registered")
	}
	if err := c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(30)); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	due := c.dueNotifications(clk.Now())
	c.mu.Unlock()
	if len(due) != 1 || due[0].tok.String() != "0102" {
		t.Fatalf("due notifications %+v", due)
	}
	n, err := c.codecs.Decode(due[0].msg.ContentFormat(), lwm2m.MustPath("/3303/0/5700"), due[0].msg.Payload, c.models)
	if err != nil || n.Value.Float() != 30 {
		t.Fatalf("notification payload %v %v", n, err)
	}
	// GET with Observe=1 cancels and is answered as a read.
	m.SetObserve(1)
	resp = serve(t, c, m)
	wantResp(t, resp, lwm2m.CodeContent)
	if _, ok := resp.Observe(); ok || len(c.obs.list) != 0 {
		t.Fatal("cancel did not remove the observation")
	}
	// Observing a missing path fails like a read and registers nothing.
	m = req(coap.GET, "/3303/5/5700", lwm2m.FormatNone, nil)
	m.SetObserve(0)
	wantResp(t, serve(t, c, m), lwm2m.CodeNotFound)
	if len(c.obs.list) != 0 {
		t.Fatal("observation of a missing path registered")
	}
}

// FuzzHandle feeds arbitrary requests to the handler: it must answer
// every one without panicking.
func FuzzHandle(f *testing.F) {
	f.Add(uint8(3), "3/0/1", uint16(0), []byte("x"), "pmin=1")
	f.Add(uint8(2), "3303", uint16(11542), []byte{0xc8, 0x00, 0x01, 0x41}, "")
	f.Add(uint8(5), "", uint16(112), []byte{0x81, 0xa1, 0x00, 0x66, 0x2f, 0x33, 0x2f, 0x30, 0x2f, 0x39}, "")
	f.Add(uint8(7), "", uint16(110), []byte(`[{"n":"/1/0/1","v":5}]`), "")
	f.Add(uint8(1), "5/0/1", uint16(0), []byte{}, "")
	c, _ := newTestClient(f, nil)
	f.Fuzz(func(t *testing.T, method uint8, path string, format uint16, payload []byte, query string) {
		m := &coap.Message{Type: coap.Confirmable, Code: lwm2m.Code(method % 8)}
		var segs []string
		start := 0
		for i := 0; i <= len(path); i++ {
			if i == len(path) || path[i] == '/' {
				segs = append(segs, path[start:i])
				start = i + 1
			}
		}
		if path != "" {
			m.SetPath(segs...)
		}
		if format != 0xffff {
			m.SetContentFormat(lwm2m.ContentFormat(format))
		}
		if query != "" {
			m.AddQuery(query)
		}
		m.Payload = payload
		c.mu.Lock()
		resp := c.handle(m, byServer)
		c.mu.Unlock()
		if resp == nil {
			t.Fatal("no answer")
		}
	})
}
