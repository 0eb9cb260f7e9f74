package senml_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

// seedFiles adds every golden file with the given suffix as a seed.
func seedFiles(f *testing.F, suffix string) [][]byte {
	var out [][]byte
	for _, dir := range []string{"rfc8428", "lwm2m"} {
		entries, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				data := readGolden(f, dir+"/"+e.Name())
				f.Add(data)
				out = append(out, data)
			}
		}
	}
	return out
}

func FuzzDecodeJSON(f *testing.F) {
	seedFiles(f, ".json")
	for _, s := range [][]byte{nil, []byte("[]"), []byte(`[{"n":"/3/0/9","v":1,"x_":1}]`), []byte(`[{"bn":"/3/0/","n":"1","t":-5,"vs":"a\u005f"}]`)} {
		f.Add(s)
	}
	c := senml.NewJSON(senml.WithNow(clock))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRaw(t, senml.JSONFormat{}, data)
		checkLwM2M(t, c, data)
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	seedFiles(f, ".cbor.hex")
	// The JSON goldens in CBOR form broaden the seeds.
	raw := newCBORFormat(f)
	for _, js := range seedFiles(f, ".json") {
		if p, err := (senml.JSONFormat{}).DecodePack(js); err == nil {
			if b, err := raw.EncodePack(p); err == nil {
				f.Add(b)
			}
		}
	}
	c := senml.NewCBOR(senml.WithNow(clock))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRaw(t, raw, data)
		checkLwM2M(t, c, data)
	})
}

type packFormat interface {
	DecodePack([]byte) (senml.Pack, error)
	EncodePack(senml.Pack) ([]byte, error)
}

// checkRaw: a pack that decodes re-encodes, and reads back equal.
func checkRaw(t *testing.T, f packFormat, data []byte) {
	p, err := f.DecodePack(data)
	if err != nil {
		if !errors.Is(err, codec.ErrMalformed) {
			t.Fatalf("DecodePack error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	_, _ = senml.Resolve(p)
	enc, err := f.EncodePack(p)
	if err != nil {
		t.Fatalf("EncodePack of a decoded pack: %v", err)
	}
	back, err := f.DecodePack(enc)
	if err != nil {
		t.Fatalf("DecodePack of %q: %v", enc, err)
	}
	if len(back) != len(p) {
		t.Fatalf("round trip: %d records, want %d", len(back), len(p))
	}
	for i := range p {
		if !sameRecord(&p[i], &back[i]) {
			t.Fatalf("round trip record %d:\n got %+v\nwant %+v", i, back[i], p[i])
		}
	}
}

func sameRecord(a, b *senml.Record) bool {
	str := func(x, y *string) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return str(a.BaseName, b.BaseName) && a.BaseTime.Equal(b.BaseTime) && a.BaseUnit == b.BaseUnit &&
		a.BaseValue.Equal(b.BaseValue) && a.BaseSum.Equal(b.BaseSum) && a.BaseVersion == b.BaseVersion &&
		a.Name == b.Name && a.Unit == b.Unit && a.Time.Equal(b.Time) && a.UpdateTime.Equal(b.UpdateTime) &&
		a.Value.Equal(b.Value) && str(a.StringValue, b.StringValue) &&
		(a.BoolValue == nil) == (b.BoolValue == nil) && (a.BoolValue == nil || *a.BoolValue == *b.BoolValue) &&
		(a.DataValue == nil) == (b.DataValue == nil) && bytes.Equal(a.DataValue, b.DataValue) &&
		str(a.ObjectLink, b.ObjectLink) && a.Sum.Equal(b.Sum)
}

// checkLwM2M: decoding fails only with ErrMalformed (or, for nodes,
// ErrNotRepresentable); decoded records re-encode unless their time cannot
// be written, and read back the same.
func checkLwM2M(t *testing.T, c *senml.Codec, data []byte) {
	models := newTestModels()
	for _, p := range []string{"/3/0", "/3/0/6", "/1", "/3303/0/5700"} {
		if _, err := c.Decode(lwm2m.MustPath(p), data, models); err != nil &&
			!errors.Is(err, codec.ErrMalformed) && !errors.Is(err, codec.ErrNotRepresentable) {
			t.Fatalf("Decode(%s): unexpected error kind: %v", p, err)
		}
	}
	recs, err := c.DecodeRecords(lwm2m.Root, data, models)
	if err != nil {
		if !errors.Is(err, codec.ErrMalformed) {
			t.Fatalf("DecodeRecords error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	enc, err := c.EncodeRecords(lwm2m.Root, recs)
	if err != nil {
		if !errors.Is(err, codec.ErrNotRepresentable) {
			t.Fatalf("EncodeRecords of decoded records: %v", err)
		}
		return
	}
	back, err := c.DecodeRecords(lwm2m.Root, enc, models)
	if err != nil {
		t.Fatalf("DecodeRecords of %q: %v", enc, err)
	}
	if len(back) != len(recs) {
		t.Fatalf("round trip: %d records, want %d", len(back), len(recs))
	}
	for i := range recs {
		a, b := recs[i], back[i]
		sameValue := a.Value.Equal(b.Value) ||
			a.Value.Type() == lwm2m.TypeFloat && b.Value.Type() == lwm2m.TypeFloat && math.IsNaN(a.Value.Float()) && math.IsNaN(b.Value.Float())
		// Absolute times are exact to the microsecond below 2^32 s; later
		// ones drift by less than a float64 ulp (under 1 ms up to 2^40 s).
		dt := a.Time.Sub(b.Time)
		if a.Path != b.Path || !sameValue || a.Time.IsZero() != b.Time.IsZero() || dt > time.Millisecond || dt < -time.Millisecond ||
			a.Time.Unix() < 1<<32 && !a.Time.Equal(b.Time) {
			t.Fatalf("round trip record %d: got %s %s %v, want %s %s %v (via %q)", i,
				b.Path, fmtTime(b.Time), b.Value, a.Path, fmtTime(a.Time), a.Value, enc)
		}
	}
}
