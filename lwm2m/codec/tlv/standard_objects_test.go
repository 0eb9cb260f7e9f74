package tlv

import (
	"bytes"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

// TestGoldenWithStandardObjects decodes the vectors of standard objects
// with the real object registry: every value must come out with the type
// the registry gives its resource, and re-encode to the canonical bytes.
func TestGoldenWithStandardObjects(t *testing.T) {
	reg := objects.New()
	for _, g := range loadGolden(t) {
		if g.Path.Object() > 3 {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			n, err := New().Decode(g.Path, g.payload, reg)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			for _, r := range n.Records(g.Path) {
				rm, ok := lwm2m.ResourceModelAt(reg, r.Path)
				if !ok {
					t.Fatalf("%s: registry does not know the resource", r.Path)
				}
				if r.Value.Type() != rm.Type {
					t.Errorf("%s: decoded as %s, registry says %s", r.Path, r.Value.Type(), rm.Type)
				}
			}
			out, err := New().Encode(g.Path, &n)
			if err != nil || !bytes.Equal(out, g.canonical) {
				t.Fatalf("Encode = %X, %v; want %X", out, err, g.canonical)
			}
		})
	}
}

func BenchmarkDecodeDeviceStandardObjects(b *testing.B) {
	c, p, reg := New(), lwm2m.InstancePath(3, 0), objects.New()
	b.ReportAllocs()
	b.SetBytes(int64(len(devicePayload)))
	for b.Loop() {
		if _, err := c.Decode(p, devicePayload, reg); err != nil {
			b.Fatal(err)
		}
	}
}
