package lwcbor

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

var (
	_ codec.Codec = (*Codec)(nil)
	_ codec.Codec = (*PlainCodec)(nil)
)

func TestFormats(t *testing.T) {
	if New().Format() != lwm2m.FormatLwM2MCBOR || NewPlain().Format() != lwm2m.FormatCBOR {
		t.Fatal("wrong content formats")
	}
}

// LwM2M CBOR keys values by path ids only: there is no place for a time.
func TestEncodeRecordsRefusesTimestamps(t *testing.T) {
	recs := []lwm2m.Record{{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(22.4), Time: time.Unix(1700000000, 0)}}
	for _, c := range []codec.Codec{New(), NewPlain()} {
		_, err := c.EncodeRecords(lwm2m.MustPath("/3303/0/5700"), recs)
		if !errors.Is(err, codec.ErrNotRepresentable) {
			t.Fatalf("%s: got %v, want ErrNotRepresentable", c.Format(), err)
		}
	}
}

func TestEncodeRecordsRejectsBadSets(t *testing.T) {
	v := lwm2m.IntValue(1)
	cases := map[string][]lwm2m.Record{
		"outside":   {{Path: lwm2m.MustPath("/4/0/0"), Value: v}},
		"twice":     {{Path: lwm2m.MustPath("/3/0/9"), Value: v}, {Path: lwm2m.MustPath("/3/0/9"), Value: v}},
		"overlap":   {{Path: lwm2m.MustPath("/3/0/6"), Value: v}, {Path: lwm2m.MustPath("/3/0/6/0"), Value: v}},
		"root path": {{Path: lwm2m.Root, Value: v}},
	}
	for name, recs := range cases {
		_, err := New().EncodeRecords(lwm2m.MustPath("/3"), recs)
		if !errors.Is(err, lwm2m.ErrInvalidNode) {
			t.Errorf("%s: got %v, want ErrInvalidNode", name, err)
		}
	}
}

// Key order follows paths, not the order records or children come in.
func TestEncodeIsCanonicalWhateverTheOrder(t *testing.T) {
	n := deviceNode()
	want, err := New().Encode(lwm2m.MustPath("/3/0"), &n)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		m := deviceNode()
		rng.Shuffle(len(m.Children), func(i, j int) { m.Children[i], m.Children[j] = m.Children[j], m.Children[i] })
		got, err := New().Encode(lwm2m.MustPath("/3/0"), &m)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("shuffled children encode differently (%v):\n% X\n% X", err, got, want)
		}
		recs := n.Records(lwm2m.MustPath("/3/0"))
		rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		got, err = New().EncodeRecords(lwm2m.MustPath("/3/0"), recs)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("shuffled records encode differently (%v)", err)
		}
	}
}

func TestEncodeRejectsInvalidNodes(t *testing.T) {
	inst := lwm2m.NewInstance(0, lwm2m.NewResource(9, lwm2m.NoneValue()))
	if _, err := New().Encode(lwm2m.MustPath("/3/0"), &inst); !errors.Is(err, lwm2m.ErrInvalidNode) {
		t.Fatalf("none-valued leaf: got %v", err)
	}
	if _, err := New().Encode(lwm2m.MustPath("/3/0/9"), &inst); !errors.Is(err, lwm2m.ErrInvalidNode) {
		t.Fatalf("instance at a resource path: got %v", err)
	}
}

func TestPlainEncodeRefusesWhatIsNotOneValue(t *testing.T) {
	c := NewPlain()
	inst := lwm2m.NewInstance(0, lwm2m.NewResource(9, lwm2m.IntValue(1)))
	multi := lwm2m.NewMultipleResource(7, lwm2m.NewResourceInstance(0, lwm2m.IntValue(1)))
	exec := lwm2m.NewResource(4, lwm2m.NoneValue())
	for path, n := range map[string]*lwm2m.Node{"/3/0": &inst, "/3/0/7": &multi, "/3/0/4": &exec} {
		if _, err := c.Encode(lwm2m.MustPath(path), n); !errors.Is(err, codec.ErrNotRepresentable) {
			t.Errorf("%s: got %v, want ErrNotRepresentable", path, err)
		}
	}
	recs := []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/9"), Value: lwm2m.IntValue(1)}, {Path: lwm2m.MustPath("/3/0/10"), Value: lwm2m.IntValue(2)}}
	if _, err := c.EncodeRecords(lwm2m.MustPath("/3/0"), recs); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Errorf("two records: got %v, want ErrNotRepresentable", err)
	}
	out, err := c.EncodeRecords(lwm2m.MustPath("/3/0/9"), recs[:1])
	if err != nil || !bytes.Equal(out, []byte{0x01}) {
		t.Errorf("one record: got % X, %v", out, err)
	}
}

// Opaque values must not alias the payload: transports reuse buffers.
func TestDecodedOpaqueOwnsItsBytes(t *testing.T) {
	data := []byte{0xa1, 0x83, 0x05, 0x00, 0x00, 0x42, 0xca, 0xfe}
	recs, err := New().DecodeRecords(lwm2m.MustPath("/5/0"), data, models)
	if err != nil {
		t.Fatal(err)
	}
	clear(data)
	if got := recs[0].Value.Bytes(); !bytes.Equal(got, []byte{0xca, 0xfe}) {
		t.Fatalf("opaque changed with the payload buffer: % X", got)
	}
}

// Lengths and counts read from the payload are checked against the bytes
// that remain before anything is allocated or looped over.
func TestHugeLengthsDoNotAllocate(t *testing.T) {
	payloads := map[string][]byte{
		"byte string 2^63": {0xa1, 0x83, 0x05, 0x00, 0x00, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"text string 2^32": {0xa1, 0x83, 0x03, 0x00, 0x00, 0x7a, 0xff, 0xff, 0xff, 0xff},
		"map 2^63 entries": {0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"key array 2^32":   {0xa1, 0x9a, 0xff, 0xff, 0xff, 0xff, 0x03},
		"indefinite chunk": {0xa1, 0x83, 0x05, 0x00, 0x00, 0x5f, 0x5a, 0xff, 0xff, 0xff, 0xff},
	}
	for name, data := range payloads {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := New().DecodeRecords(lwm2m.Root, data, models)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, codec.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
			t.Errorf("%s: decoding allocated %d bytes", name, grew)
		}
	}
}

// Every half-precision pattern widens as an independent implementation
// (fxamacker/cbor) widens it.
func TestHalfToFloatAllPatterns(t *testing.T) {
	for h := 0; h <= 0xffff; h++ {
		var want float64
		if err := cbor.Unmarshal([]byte{0xf9, byte(h >> 8), byte(h)}, &want); err != nil {
			t.Fatal(err)
		}
		got := halfToFloat(uint16(h))
		if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(want) && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("half %04x: got %v, want %v", h, got, want)
		}
	}
}

// Floats take the shortest exact width, byte for byte as fxamacker/cbor's
// ShortestFloat16 mode writes them.
func TestFloatsAreShortest(t *testing.T) {
	em, err := cbor.EncOptions{ShortestFloat: cbor.ShortestFloat16, NaNConvert: cbor.NaNConvert7e00, InfConvert: cbor.InfConvertFloat16}.EncMode()
	if err != nil {
		t.Fatal(err)
	}
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 1.5, 65504, 65505, 65520, 1e5, 22.4, 0.1, 6.103515625e-05,
		5.960464477539063e-08, 2.9802322387695312e-08, 1e-45, math.SmallestNonzeroFloat64, math.MaxFloat32, math.MaxFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), 3.4028234663852886e38, 1.1754943508222875e-38}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		vals = append(vals, math.Float64frombits(rng.Uint64()), float64(math.Float32frombits(rng.Uint32())),
			halfToFloat(uint16(rng.Uint32())))
	}
	for _, f := range vals {
		want, err := em.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendFloat(nil, f); !bytes.Equal(got, want) {
			t.Fatalf("%v (%016x): got % X, want % X", f, math.Float64bits(f), got, want)
		}
	}
}

// A payload of every value type re-encodes to the same bytes.
func TestIntegersAtEveryWidth(t *testing.T) {
	for _, i := range []int64{0, 23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -24, -25, -256, -257, -65536, -65537, math.MinInt64} {
		b := appendInt(nil, i)
		var got int64
		if err := cbor.Unmarshal(b, &got); err != nil || got != i {
			t.Fatalf("%d: % X reads back as %d (%v)", i, b, got, err)
		}
		want, _ := cbor.Marshal(i)
		if !bytes.Equal(b, want) {
			t.Fatalf("%d: got % X, want % X", i, b, want)
		}
	}
}

func TestDecodeErrorsNameOffsetAndPath(t *testing.T) {
	// {[3, 0, 9]: "full"}: the value starts at offset 5.
	_, err := New().DecodeRecords(lwm2m.MustPath("/3/0"), []byte{0xa1, 0x83, 0x03, 0x00, 0x09, 0x64, 'f', 'u', 'l', 'l'}, models)
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a *codec.DecodeError", err)
	}
	if de.Offset != 5 || !de.HasPath || de.Path != lwm2m.MustPath("/3/0/9") || de.Format != lwm2m.FormatLwM2MCBOR {
		t.Fatalf("error %q: offset %d path %s", err, de.Offset, de.Path)
	}
	want := `lwm2m-cbor: offset 5: /3/0/9: integer resource: "full" is not an integer`
	if err.Error() != want {
		t.Fatalf("got  %q\nwant %q", err, want)
	}
}

func TestDecodeReturnsRecordsInPayloadOrder(t *testing.T) {
	// {[3, 0]: {9: 1, 0: "a"}} keeps 9 before 0.
	recs, err := New().DecodeRecords(lwm2m.MustPath("/3/0"), []byte{0xa1, 0x82, 0x03, 0x00, 0xa2, 0x09, 0x01, 0x00, 0x61, 'a'}, models)
	if err != nil {
		t.Fatal(err)
	}
	got := []lwm2m.Path{recs[0].Path, recs[1].Path}
	if !slices.Equal(got, []lwm2m.Path{lwm2m.MustPath("/3/0/9"), lwm2m.MustPath("/3/0/0")}) {
		t.Fatalf("got %v", got)
	}
}
