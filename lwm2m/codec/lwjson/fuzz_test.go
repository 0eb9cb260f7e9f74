package lwjson

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// FuzzDecode feeds arbitrary payloads and request paths to the decoder.
// Whatever it accepts must lie under the request path and, when it can be
// written back (absolute times after 1970), survive an encode/decode round
// trip unchanged; whatever it refuses must be refused with ErrMalformed or
// ErrNotRepresentable.
func FuzzDecode(f *testing.F) {
	for _, g := range loadGolden(f) {
		f.Add(g.Path.String(), g.payload)
	}
	c := New(WithNow(func() time.Time { return defaultNow }))
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
			if !r.Path.HasPrefix(p) || r.Path.Len() < 3 {
				t.Fatalf("record %s outside %s or not a resource", r.Path, p)
			}
		}
		if _, err := c.Decode(p, data, models); err != nil {
			checkSentinel(t, err)
		}
		out, err := c.EncodeRecords(p, recs)
		if err != nil {
			if !errors.Is(err, codec.ErrNotRepresentable) {
				t.Fatalf("decoded records do not encode: %v", err)
			}
			return
		}
		again, err := c.DecodeRecords(p, out, models)
		if err != nil {
			t.Fatalf("encoded records do not decode: %v\n%s", err, out)
		}
		if len(again) != len(recs) {
			t.Fatalf("round trip: %d records became %d\n%s", len(recs), len(again), out)
		}
		for i := range recs {
			a, b := recs[i], again[i]
			if a.Path != b.Path || !a.Value.Equal(b.Value) || !a.Time.Equal(b.Time) {
				t.Fatalf("round trip: %s=%v@%v became %s=%v@%v\n%s", a.Path, a.Value, a.Time, b.Path, b.Value, b.Time, out)
			}
		}
	})
}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, codec.ErrMalformed) && !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("error wraps no codec sentinel: %v", err)
	}
}
