package lwcbor

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// FuzzLwM2MCBOR feeds arbitrary payloads and request paths to the LwM2M
// CBOR decoder. Whatever it accepts must lie under the request path and
// survive an encode/decode round trip unchanged; whatever it refuses must
// be refused with ErrMalformed or ErrNotRepresentable.
func FuzzLwM2MCBOR(f *testing.F) {
	for _, g := range loadGolden(f, "lwm2m-cbor") {
		f.Add(g.Path.String(), g.payload(f))
	}
	c := New()
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := lwm2m.ParsePath(path)
		if err != nil {
			return
		}
		recs, err := c.DecodeRecords(p, data, models)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		for _, r := range recs {
			if !r.Path.HasPrefix(p) {
				t.Fatalf("record %s outside %s", r.Path, p)
			}
		}
		if _, err := c.Decode(p, data, models); err != nil {
			checkSentinel(t, err)
		}
		out, err := c.EncodeRecords(p, recs)
		if err != nil {
			t.Fatalf("decoded records do not encode: %v", err)
		}
		again, err := c.DecodeRecords(p, out, models)
		if err != nil {
			t.Fatalf("encoded records do not decode: %v\n% X", err, out)
		}
		sameRecords(t, recs, again)
	})
}

// FuzzPlainCBOR does the same for application/cbor.
func FuzzPlainCBOR(f *testing.F) {
	for _, g := range loadGolden(f, "cbor") {
		f.Add(g.Path.String(), g.payload(f))
	}
	c := NewPlain()
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := lwm2m.ParsePath(path)
		if err != nil {
			return
		}
		n, err := c.Decode(p, data, models)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		out, err := c.Encode(p, &n)
		if err != nil {
			t.Fatalf("decoded node does not encode: %v", err)
		}
		again, err := c.Decode(p, out, models)
		if err != nil {
			t.Fatalf("encoded node does not decode: %v\n% X", err, out)
		}
		if !sameValue(n.Value, again.Value) || n.Kind != again.Kind || n.ID != again.ID {
			t.Fatalf("round trip changed %v into %v", n.Value, again.Value)
		}
	})
}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, codec.ErrMalformed) && !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("error wraps no codec sentinel: %v", err)
	}
}

// sameRecords compares records as sets ordered by path; NaN equals NaN
// (the encoder writes every NaN as the canonical one).
func sameRecords(t *testing.T, a, b []lwm2m.Record) {
	t.Helper()
	byPath := func(x, y lwm2m.Record) int { return x.Path.Compare(y.Path) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, byPath)
	slices.SortFunc(b, byPath)
	if len(a) != len(b) {
		t.Fatalf("round trip: %d records became %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Path != b[i].Path || !sameValue(a[i].Value, b[i].Value) {
			t.Fatalf("round trip: %s=%v became %s=%v", a[i].Path, a[i].Value, b[i].Path, b[i].Value)
		}
	}
}

func sameValue(a, b lwm2m.Value) bool {
	if a.Type() == lwm2m.TypeFloat && b.Type() == lwm2m.TypeFloat && math.IsNaN(a.Float()) && math.IsNaN(b.Float()) {
		return true
	}
	return a.Equal(b)
}
