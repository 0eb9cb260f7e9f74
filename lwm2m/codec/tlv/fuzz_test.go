package tlv

import (
	"errors"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// FuzzDecode decodes arbitrary payloads at arbitrary paths. Decoding must
// never panic; errors must be classified and point inside the payload; what
// decodes must be a valid node that encodes and decodes back to itself.
func FuzzDecode(f *testing.F) {
	for _, g := range loadGolden(f) {
		f.Add(g.Path.String(), g.payload)
	}
	f.Add("/3/0", mustHex("C8 00 14 41"))
	f.Add("/3/0/11", []byte{})
	f.Add("/42000", mustHex("08 00 03 C1 00 01"))
	c := New()
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := lwm2m.ParsePath(path)
		if err != nil {
			return
		}
		n, err := c.Decode(p, data, models)
		if err != nil {
			var de *codec.DecodeError
			switch {
			case errors.As(err, &de):
				if de.Offset < 0 || de.Offset > len(data) {
					t.Fatalf("offset %d outside a %d-byte payload: %v", de.Offset, len(data), err)
				}
			case errors.Is(err, codec.ErrNotRepresentable):
			default:
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if err := n.Validate(p); err != nil {
			t.Fatalf("decoded an invalid node: %v", err)
		}
		out, err := c.Encode(p, &n)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := c.Decode(p, out, models)
		if err != nil {
			t.Fatalf("decode of re-encoded %X: %v", out, err)
		}
		if !back.Equal(&n) {
			t.Fatalf("round trip changed the node: %+v -> %+v", n, back)
		}
	})
}
