package server_test

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// TestContentFormatPerDevice checks the choice: the caller's format when
// the device can take it, else what it announced, else SenML CBOR (1.1+) or
// TLV (1.0), but plain text (or opaque) for one value of a 1.0 device that
// announced nothing.
func TestContentFormatPerDevice(t *testing.T) {
	s := openServer(t, newRecorder())
	tests := []struct {
		name     string
		links    string
		query    []string
		op       lwm2m.Operation
		path     string
		asked    lwm2m.ContentFormat
		wantRead lwm2m.ContentFormat
	}{
		{"1.0 default", `</1/0>,</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0", lwm2m.FormatNone, lwm2m.FormatTLV},
		{"1.1 default", `</1/0>,</3/0>`, []string{"lwm2m=1.1"}, lwm2m.OpRead, "/3/0", lwm2m.FormatNone, lwm2m.FormatSenMLCBOR},
		{"announced", `</>;rt="oma.lwm2m";ct=110,</3/0>`, []string{"lwm2m=1.1"}, lwm2m.OpRead, "/3/0", lwm2m.FormatNone, lwm2m.FormatSenMLJSON},
		{"asked and announced", `</>;rt="oma.lwm2m";ct="110 11542",</3/0>`, []string{"lwm2m=1.2"}, lwm2m.OpRead, "/3/0", lwm2m.FormatTLV, lwm2m.FormatTLV},
		{"asked, not announced", `</>;rt="oma.lwm2m";ct=110,</3/0>`, []string{"lwm2m=1.1"}, lwm2m.OpRead, "/3/0", lwm2m.FormatTLV, lwm2m.FormatSenMLJSON},
		{"asked, nothing announced", `</3/0>`, []string{"lwm2m=1.1"}, lwm2m.OpRead, "/3/0", lwm2m.FormatLwM2MCBOR, lwm2m.FormatLwM2MCBOR},
		{"text for a resource", `</>;rt="oma.lwm2m";ct=110,</3/0>`, []string{"lwm2m=1.1"}, lwm2m.OpRead, "/3/0/0", lwm2m.FormatText, lwm2m.FormatText},
		{"text cannot carry an instance", `</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0", lwm2m.FormatText, lwm2m.FormatTLV},
		{"per-object ct", `</>;rt="oma.lwm2m";ct=110,</3>;ct=11542,</3/0>`, []string{"lwm2m=1.2"}, lwm2m.OpRead, "/3/0", lwm2m.FormatNone, lwm2m.FormatTLV},
		{"1.0 single value as text", `</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0/0", lwm2m.FormatNone, lwm2m.FormatText},
		{"1.0 resource instance as text", `</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0/7/0", lwm2m.FormatNone, lwm2m.FormatText},
		{"1.0 multiple resource as TLV", `</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0/7", lwm2m.FormatNone, lwm2m.FormatTLV},
		{"1.0 unknown resource as TLV", `</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0/999", lwm2m.FormatNone, lwm2m.FormatTLV},
		{"1.0 opaque value as opaque", `</5/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/5/0/0", lwm2m.FormatNone, lwm2m.FormatOpaque},
		{"1.0 announced TLV", `</>;rt="oma.lwm2m";ct=11542,</3/0>`, []string{"lwm2m=1.0"}, lwm2m.OpRead, "/3/0/0", lwm2m.FormatNone, lwm2m.FormatTLV},
		{"composite needs SenML", `</>;rt="oma.lwm2m";ct=11542,</3/0>`, []string{"lwm2m=1.1"}, lwm2m.OpReadComposite, "", lwm2m.FormatNone, lwm2m.FormatSenMLCBOR},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dev := newFakeDevice(t)
			dev.set("/3/0/999", lwm2m.StringValue("vendor"))
			dev.set("/5/0/0", lwm2m.OpaqueValue([]byte{0xca, 0xfe}))
			c, err := coap.Dial(testCtx(t), s.UDPAddr().String(), coap.DialConfig{Config: coap.Config{Handler: dev}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			dev.conn = c
			ep := "fmt" + string(rune('a'+i))
			if r := do(t, c, registerReq(tc.links, append([]string{"ep=" + ep}, tc.query...)...)); r.Code != lwm2m.CodeCreated {
				t.Fatalf("register: %v %q", r, r.Payload)
			}
			rq := lwm2m.Request{Op: tc.op, Format: tc.asked}
			if tc.op.IsComposite() {
				rq.Paths = []lwm2m.Path{lwm2m.MustPath("/3/0/0")}
			} else {
				rq.Path = lwm2m.MustPath(tc.path)
			}
			r := send(t, s, ep, rq)
			if got := dev.last().Accept(); got != tc.wantRead {
				t.Fatalf("Accept %v, want %v", got, tc.wantRead)
			}
			if r.Format != tc.wantRead || r.Code != lwm2m.CodeContent || (r.Content == nil && len(r.Records) == 0) {
				t.Fatalf("response %+v", r)
			}
		})
	}
}
