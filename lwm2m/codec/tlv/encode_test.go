package tlv

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

func TestEncodeValueWidths(t *testing.T) {
	cases := []struct {
		v    lwm2m.Value
		want string
	}{
		{lwm2m.IntValue(0), "00"},
		{lwm2m.IntValue(127), "7F"},
		{lwm2m.IntValue(128), "0080"},
		{lwm2m.IntValue(-128), "80"},
		{lwm2m.IntValue(-129), "FF7F"},
		{lwm2m.IntValue(32767), "7FFF"},
		{lwm2m.IntValue(32768), "00008000"},
		{lwm2m.IntValue(-2147483648), "80000000"},
		{lwm2m.IntValue(2147483648), "0000000080000000"},
		{lwm2m.IntValue(math.MinInt64), "8000000000000000"},
		{lwm2m.UintValue(255), "00FF"},
		{lwm2m.UintValue(math.MaxInt64), "7FFFFFFFFFFFFFFF"},
		{lwm2m.UintValue(1 << 63), "8000000000000000"},
		{lwm2m.UnixTimeValue(1367491215), "5182428F"},
		{lwm2m.UnixTimeValue(-1), "FF"},
		{lwm2m.FloatValue(1.5), "3FC00000"},
		{lwm2m.FloatValue(math.Inf(-1)), "FF800000"},
		{lwm2m.FloatValue(math.Copysign(0, -1)), "80000000"},
		{lwm2m.FloatValue(3.3), "400A666666666666"},
		{lwm2m.FloatValue(1e300), "7E37E43C8800759C"},
		{lwm2m.BoolValue(false), "00"},
		{lwm2m.ObjlnkValue(0x1234, 0x5678), "12345678"},
		{lwm2m.StringValue(""), ""},
		{lwm2m.OpaqueValue(nil), ""},
		{lwm2m.NoneValue(), ""},
	}
	for _, tc := range cases {
		got := appendValue(nil, tc.v, valueLen(tc.v))
		if !bytes.Equal(got, mustHex(tc.want)) || valueLen(tc.v) != len(got) {
			t.Errorf("%v %v: got %X (len %d), want %s", tc.v.Type(), tc.v, got, valueLen(tc.v), tc.want)
		}
	}
}

func TestEncodeFloatRoundTrip(t *testing.T) {
	p := lwm2m.MustPath("/65000/0/3")
	for _, f := range []float64{0, 23.5, 0.1, -1e-310, math.MaxFloat64, math.SmallestNonzeroFloat32, math.Inf(1), math.NaN()} {
		n := lwm2m.NewResource(3, lwm2m.FloatValue(f))
		out, err := New().Encode(p, &n)
		if err != nil {
			t.Fatal(err)
		}
		back, err := New().Decode(p, out, models)
		if err != nil || !back.Value.Equal(n.Value) {
			t.Errorf("%v: round trip gave %v, %v", f, back.Value, err)
		}
	}
}

func TestEncodeHeaders(t *testing.T) {
	cases := []struct {
		t    idType
		id   uint16
		n    int
		want string
	}{
		{typeResource, 0, 0, "C000"},
		{typeResource, 255, 7, "C7FF"},
		{typeResource, 256, 8, "E8010008"},
		{typeObjectInstance, 1, 255, "0801FF"},
		{typeMultiple, 2, 256, "90020100"},
		{typeResourceInstance, 65534, 65535, "70FFFEFFFF"},
		{typeResource, 3, 65536, "D803010000"},
		{typeResource, 3, maxLen, "D803FFFFFF"},
	}
	for _, tc := range cases {
		got := appendHeader(nil, tc.t, tc.id, tc.n)
		if !bytes.Equal(got, mustHex(tc.want)) || headerLen(tc.id, tc.n) != len(got) {
			t.Errorf("%v %d len %d: got %X, want %s", tc.t, tc.id, tc.n, got, tc.want)
		}
		h, err := readHeader(append(got, make([]byte, tc.n)...), 0, len(got)+tc.n)
		if err != nil || h.typ != tc.t || h.id != tc.id || h.end-h.start != tc.n || h.start != len(got) {
			t.Errorf("%s: read back %+v, %v", tc.want, h, err)
		}
	}
}

func TestEncodeObject(t *testing.T) {
	obj := lwm2m.NewObject(1,
		lwm2m.NewInstance(0, lwm2m.NewResource(0, lwm2m.IntValue(1))),
		lwm2m.NewInstance(1, lwm2m.NewResource(0, lwm2m.IntValue(2))))
	out, err := New().Encode(lwm2m.MustPath("/1"), &obj)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustHex("03 00 C1 00 01 03 01 C1 00 02"); !bytes.Equal(out, want) {
		t.Fatalf("got %X, want %X", out, want)
	}
	empty := lwm2m.NewObject(1)
	if out, err := New().Encode(lwm2m.MustPath("/1"), &empty); err != nil || len(out) != 0 {
		t.Fatalf("empty object: %X, %v", out, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	res := lwm2m.NewResource(0, lwm2m.IntValue(1))
	dup := lwm2m.NewInstance(0, res, res)
	nested := lwm2m.NewInstance(0, lwm2m.NewInstance(1))
	leafKids := lwm2m.Node{Kind: lwm2m.KindResource, ID: 0, Children: []lwm2m.Node{res}}
	inMulti := lwm2m.NewMultipleResource(6, res)
	reserved := lwm2m.NewInstance(0, lwm2m.NewResource(65535, lwm2m.IntValue(1)))
	cases := []struct {
		name string
		path string
		node *lwm2m.Node
		want error
	}{
		{"root", "/", &res, codec.ErrNotRepresentable},
		{"id mismatch", "/3/0/1", &res, lwm2m.ErrInvalidNode},
		{"resource at instance path", "/3/0", &lwm2m.Node{Kind: lwm2m.KindResource}, lwm2m.ErrInvalidNode},
		{"duplicate resources", "/3/0", &dup, lwm2m.ErrInvalidNode},
		{"instance in instance", "/3/0", &nested, lwm2m.ErrInvalidNode},
		{"leaf with children", "/3/0/0", &leafKids, lwm2m.ErrInvalidNode},
		{"resource in multiple", "/3/0/6", &inMulti, lwm2m.ErrInvalidNode},
		{"reserved id", "/3/0", &reserved, lwm2m.ErrInvalidNode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New().Encode(lwm2m.MustPath(tc.path), tc.node); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncodeRecords(t *testing.T) {
	c := New()
	recs := []lwm2m.Record{
		{Path: lwm2m.MustPath("/3/0/9"), Value: lwm2m.IntValue(100)},
		{Path: lwm2m.MustPath("/3/0/6/1"), Value: lwm2m.IntValue(5)},
		{Path: lwm2m.MustPath("/3/0/6/0"), Value: lwm2m.IntValue(1)},
	}
	out, err := c.EncodeRecords(lwm2m.MustPath("/3/0"), recs)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustHex("86 06 41 00 01 41 01 05 C1 09 64"); !bytes.Equal(out, want) {
		t.Fatalf("got %X, want %X", out, want)
	}
	recs[0].Time = time.Unix(1, 0)
	if _, err := c.EncodeRecords(lwm2m.MustPath("/3/0"), recs); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("timestamped: %v", err)
	}
	if _, err := c.EncodeRecords(lwm2m.Root, recs[1:]); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("root: %v", err)
	}
}

// TestEncodeAllocatesOnce checks that the sizing pass is exact: encoding an
// object, an instance or a multiple resource makes one allocation.
func TestEncodeAllocatesOnce(t *testing.T) {
	c := New()
	for _, g := range loadGolden(t) {
		out, err := c.Encode(g.Path, &g.Node)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() { c.Encode(g.Path, &g.Node) })
		if allocs != 1 && len(out) > 0 {
			t.Errorf("%s: %v allocations", g.Name, allocs)
		}
		if cap(out)-len(out) > reserveSlack {
			t.Errorf("%s: %d bytes spare", g.Name, cap(out)-len(out))
		}
	}
}
