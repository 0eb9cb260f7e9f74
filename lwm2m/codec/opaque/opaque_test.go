package opaque

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

type golden struct {
	Name string     `json:"name"`
	Path lwm2m.Path `json:"path"`
	Hex  string     `json:"hex"`
	Node lwm2m.Node `json:"node"`
}

func loadGolden(t testing.TB) []golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g []golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGolden(t *testing.T) {
	c := New()
	for _, g := range loadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			payload, err := hex.DecodeString(g.Hex)
			if err != nil {
				t.Fatal(err)
			}
			n, err := c.Decode(g.Path, payload, models)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !n.Equal(&g.Node) {
				t.Fatalf("Decode = %+v, want %+v", n, g.Node)
			}
			out, err := c.Encode(g.Path, &g.Node)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(out, payload) {
				t.Fatalf("Encode = %x, want %x", out, payload)
			}
		})
	}
}

func TestDecodeCopies(t *testing.T) {
	buf := []byte{1, 2, 3}
	n, err := New().Decode(lwm2m.MustPath("/5/0/0"), buf, models)
	if err != nil {
		t.Fatal(err)
	}
	buf[0] = 9
	if n.Value.Bytes()[0] != 1 {
		t.Fatal("decoded value aliases the input buffer")
	}
}

func TestNotRepresentable(t *testing.T) {
	c := New()
	for _, p := range []string{"/", "/5", "/5/0", "/5/0/1", "/5/0/2", "/65000/0/10"} {
		if _, err := c.Decode(lwm2m.MustPath(p), []byte{1}, models); !errors.Is(err, codec.ErrNotRepresentable) {
			t.Errorf("Decode at %s: err = %v, want not representable", p, err)
		}
	}
	str := lwm2m.NewResource(1, lwm2m.StringValue("coap://x"))
	inst := lwm2m.NewInstance(0, lwm2m.NewResource(0, lwm2m.OpaqueValue([]byte{1})))
	multi := lwm2m.NewMultipleResource(10, lwm2m.NewResourceInstance(0, lwm2m.OpaqueValue([]byte{1})))
	for _, tc := range []struct {
		path string
		node *lwm2m.Node
	}{{"/5/0/1", &str}, {"/5/0", &inst}, {"/65000/0/10", &multi}} {
		if _, err := c.Encode(lwm2m.MustPath(tc.path), tc.node); !errors.Is(err, codec.ErrNotRepresentable) {
			t.Errorf("Encode at %s: err = %v, want not representable", tc.path, err)
		}
	}
	wrongID := lwm2m.NewResource(3, lwm2m.OpaqueValue(nil))
	if _, err := c.Encode(lwm2m.MustPath("/5/0/0"), &wrongID); !errors.Is(err, lwm2m.ErrInvalidNode) {
		t.Errorf("Encode with mismatching id: err = %v", err)
	}
}

func TestRecords(t *testing.T) {
	c := New()
	p := lwm2m.MustPath("/5/0/0")
	recs, err := c.DecodeRecords(p, []byte{0xde, 0xad}, models)
	if err != nil || len(recs) != 1 || recs[0].Path != p || !bytes.Equal(recs[0].Value.Bytes(), []byte{0xde, 0xad}) {
		t.Fatalf("DecodeRecords = %+v, %v", recs, err)
	}
	out, err := c.EncodeRecords(p, recs)
	if err != nil || !bytes.Equal(out, []byte{0xde, 0xad}) {
		t.Fatalf("EncodeRecords = %x, %v", out, err)
	}
	recs[0].Time = time.Unix(1, 0)
	if _, err := c.EncodeRecords(p, recs); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("timestamped: err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, g := range loadGolden(f) {
		b, _ := hex.DecodeString(g.Hex)
		f.Add(g.Path.String(), b)
	}
	c := New()
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := lwm2m.ParsePath(path)
		if err != nil {
			return
		}
		n, err := c.Decode(p, data, models)
		if err != nil {
			if !errors.Is(err, codec.ErrNotRepresentable) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		out, err := c.Encode(p, &n)
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("round trip: %x -> %x, %v", data, out, err)
		}
	})
}
