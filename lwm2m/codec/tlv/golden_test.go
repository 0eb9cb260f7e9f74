package tlv

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

// golden is one vector of testdata/golden.json: a payload at a path, the
// node it decodes to, and (when the payload is not canonical) the bytes the
// node encodes back to.
type golden struct {
	Name         string     `json:"name"`
	Note         string     `json:"note"`
	Path         lwm2m.Path `json:"path"`
	Hex          string     `json:"hex"`
	CanonicalHex *string    `json:"canonical_hex"`
	Node         lwm2m.Node `json:"node"`

	payload, canonical []byte
}

func loadGolden(t testing.TB) []golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var gs []golden
	if err := json.Unmarshal(b, &gs); err != nil {
		t.Fatal(err)
	}
	for i := range gs {
		g := &gs[i]
		if g.payload, err = hex.DecodeString(g.Hex); err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
		g.canonical = g.payload
		if g.CanonicalHex != nil {
			if g.canonical, err = hex.DecodeString(*g.CanonicalHex); err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
		}
	}
	return gs
}

func TestGolden(t *testing.T) {
	c := New()
	for _, g := range loadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			n, err := c.Decode(g.Path, g.payload, models)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !n.Equal(&g.Node) {
				got, _ := json.Marshal(n)
				want, _ := json.Marshal(g.Node)
				t.Fatalf("Decode:\n got %s\nwant %s", got, want)
			}
			if err := n.Validate(g.Path); err != nil {
				t.Fatalf("decoded node is invalid: %v", err)
			}
			out, err := c.Encode(g.Path, &g.Node)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(out, g.canonical) {
				t.Fatalf("Encode:\n got %X\nwant %X", out, g.canonical)
			}
		})
	}
}

// TestGoldenRecords checks that the record view of each vector matches the
// flattened node, and that the records encode back to the canonical bytes.
func TestGoldenRecords(t *testing.T) {
	c := New()
	for _, g := range loadGolden(t) {
		recs, err := c.DecodeRecords(g.Path, g.payload, models)
		if err != nil {
			t.Fatalf("%s: DecodeRecords: %v", g.Name, err)
		}
		want := g.Node.Records(g.Path)
		if len(recs) != len(want) {
			t.Fatalf("%s: %d records, want %d", g.Name, len(recs), len(want))
		}
		for i := range recs {
			if recs[i].Path != want[i].Path || !recs[i].Value.Equal(want[i].Value) {
				t.Fatalf("%s: record %d = %v %v, want %v %v", g.Name, i, recs[i].Path, recs[i].Value, want[i].Path, want[i].Value)
			}
		}
		if len(recs) == 0 || g.Path.Len() < 2 {
			continue // empty containers and whole objects do not survive flattening
		}
		out, err := c.EncodeRecords(g.Path, recs)
		if err != nil {
			t.Fatalf("%s: EncodeRecords: %v", g.Name, err)
		}
		if !bytes.Equal(out, g.canonical) {
			t.Fatalf("%s: EncodeRecords:\n got %X\nwant %X", g.Name, out, g.canonical)
		}
	}
}
