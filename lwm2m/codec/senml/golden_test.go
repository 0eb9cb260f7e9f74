package senml_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

// lwm2mGolden is one LwM2M golden case in testdata/lwm2m: <name>.json and/or
// <name>.cbor.hex decode to <name>.records. When canonical, encoding the
// records gives the file back byte for byte; otherwise the encoder's output
// is kept in <name>.canon.json / <name>.canon.cbor.hex.
type lwm2mGolden struct {
	name      string
	path      string
	canonical bool
	node      bool // Decode/Encode at path as a node too
}

var lwm2mGoldens = []lwm2mGolden{
	{name: "device-read", path: "/3/0", canonical: true, node: true},
	{name: "single-resource", path: "/3/0/0", canonical: true, node: true},
	{name: "read-composite-request", path: "/", canonical: true},
	{name: "read-composite-response", path: "/", canonical: true},
	{name: "write-composite", path: "/"},
	{name: "timestamped-relative", path: "/72"},
	{name: "objlnk", path: "/"},
	{name: "send", path: "/", canonical: true},
	{name: "leshan-opaque", path: "/0/0/3", canonical: true, node: true},
	{name: "leshan-timestamped-cbor", path: "/"},
	{name: "leshan-timestamped-json", path: "/"},
}

type testFormat struct {
	name  string
	ext   string
	codec *senml.Codec
}

func testFormats() []testFormat {
	return []testFormat{
		{"json", ".json", senml.NewJSON(senml.WithNow(clock))},
		{"cbor", ".cbor.hex", senml.NewCBOR(senml.WithNow(clock))},
	}
}

func TestGoldenLwM2M(t *testing.T) {
	models := newTestModels()
	for _, g := range lwm2mGoldens {
		want := loadRecords(t, "lwm2m/"+g.name+".records")
		p := lwm2m.MustPath(g.path)
		for _, f := range testFormats() {
			file := "lwm2m/" + g.name + f.ext
			if !exists(file) {
				if g.canonical && *update {
					enc, err := f.codec.EncodeRecords(p, want)
					if err != nil {
						t.Fatal(err)
					}
					writeGolden(t, file, enc, "Written by the senml encoder (canonical form) from "+g.name+".records.")
				}
				continue
			}
			t.Run(g.name+"/"+f.name, func(t *testing.T) {
				data := readGolden(t, file)
				got, err := f.codec.DecodeRecords(p, data, models)
				if err != nil {
					t.Fatalf("DecodeRecords: %v", err)
				}
				if d := diffRecords(got, want); d != "" {
					t.Fatalf("DecodeRecords: %s", d)
				}
				enc, err := f.codec.EncodeRecords(p, want)
				if err != nil {
					t.Fatalf("EncodeRecords: %v", err)
				}
				canon := data
				if !g.canonical {
					cfile := "lwm2m/" + g.name + ".canon" + f.ext
					if !exists(cfile) && *update {
						writeGolden(t, cfile, enc, "Canonical re-encoding of "+g.name+f.ext+" by the senml encoder.")
					}
					canon = readGolden(t, cfile)
					back, err := f.codec.DecodeRecords(p, canon, models)
					if err != nil {
						t.Fatalf("decode canonical form: %v", err)
					}
					if d := diffRecords(back, want); d != "" {
						t.Fatalf("canonical form: %s", d)
					}
				}
				if !bytes.Equal(enc, canon) {
					t.Fatalf("EncodeRecords:\n got %s\nwant %s", show(f, enc), show(f, canon))
				}
				if !g.node {
					return
				}
				wantNode, err := lwm2m.BuildNode(p, want)
				if err != nil {
					t.Fatal(err)
				}
				n, err := f.codec.Decode(p, data, models)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !n.Equal(&wantNode) {
					t.Fatalf("Decode: got %+v, want %+v", n, wantNode)
				}
				enc, err = f.codec.Encode(p, &n)
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				if !bytes.Equal(enc, canon) {
					t.Fatalf("Encode:\n got %s\nwant %s", show(f, enc), show(f, canon))
				}
			})
		}
	}
}

func show(f testFormat, b []byte) string {
	if f.name == "json" {
		return string(b)
	}
	return hexString(b)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestGoldenDeviceNode checks the decoded Device instance beyond equality
// with the records: its shape and typed values.
func TestGoldenDeviceNode(t *testing.T) {
	for _, f := range testFormats() {
		data := readGolden(t, "lwm2m/device-read"+f.ext)
		n, err := f.codec.Decode(lwm2m.MustPath("/3/0"), data, newTestModels())
		if err != nil {
			t.Fatal(err)
		}
		if n.Kind != lwm2m.KindInstance || n.ID != 0 || len(n.Children) != 13 {
			t.Fatalf("%s: got %s %d with %d resources, want instance 0 with 13", f.name, n.Kind, n.ID, len(n.Children))
		}
		r6, _ := n.Child(6)
		if r6.Kind != lwm2m.KindMultipleResource || len(r6.Children) != 2 || r6.Children[1].Value.Int() != 5 {
			t.Errorf("%s: /3/0/6 = %+v, want multiple resource {0: 1, 1: 5}", f.name, r6)
		}
		r13, _ := n.Child(13)
		if want := time.Date(2013, 5, 2, 10, 40, 15, 0, time.UTC); r13.Value.Type() != lwm2m.TypeTime || !r13.Value.Time().Equal(want) {
			t.Errorf("%s: /3/0/13 = %s %v, want time %v", f.name, r13.Value.Type(), r13.Value, want)
		}
	}
}

// TestGoldenObjlnkNode decodes the object-link example at /65/0 as a node.
func TestGoldenObjlnkNode(t *testing.T) {
	for _, f := range testFormats() {
		data := readGolden(t, "lwm2m/objlnk"+f.ext)
		_, err := f.codec.Decode(lwm2m.MustPath("/65/0"), data, newTestModels())
		if !errors.Is(err, codec.ErrMalformed) {
			t.Fatalf("%s: records outside /65/0: got %v, want a malformed error", f.name, err)
		}
		recs, err := f.codec.DecodeRecords(lwm2m.Root, data, newTestModels())
		if err != nil {
			t.Fatal(err)
		}
		n, err := lwm2m.BuildNode(lwm2m.MustPath("/65/0"), recs[:4])
		if err != nil {
			t.Fatal(err)
		}
		r0, _ := n.Child(0)
		if o, i := r0.Children[1].Value.Objlnk(); r0.Kind != lwm2m.KindMultipleResource || o != 66 || i != 1 {
			t.Errorf("%s: /65/0/0 = %+v, want multiple objlnk with 66:1 at 1", f.name, r0)
		}
	}
}
