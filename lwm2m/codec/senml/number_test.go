package senml_test

import (
	"encoding/hex"
	"math"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

// CBOR vectors from RFC 8949 Appendix A, plus the decimal fraction example
// of §3.4.4 and the half-precision subnormal boundary.
func TestNumberCBOR(t *testing.T) {
	for _, tc := range []struct {
		n       senml.Number
		hex     string
		decOnly bool // the bytes decode to n, but n encodes shorter
	}{
		{senml.IntNumber(0), "00", false},
		{senml.IntNumber(23), "17", false},
		{senml.IntNumber(24), "1818", false},
		{senml.IntNumber(1000000), "1a000f4240", false},
		{senml.IntNumber(1000000000000), "1b000000e8d4a51000", false},
		{senml.UintNumber(18446744073709551615), "1bffffffffffffffff", false},
		{senml.IntNumber(-1), "20", false},
		{senml.IntNumber(-1000), "3903e7", false},
		{senml.IntNumber(math.MinInt64), "3b7fffffffffffffff", false},
		{senml.FloatNumber(0), "f90000", false},
		{senml.FloatNumber(math.Copysign(0, -1)), "f98000", false},
		{senml.FloatNumber(1), "f93c00", false},
		{senml.FloatNumber(1.1), "fb3ff199999999999a", false},
		{senml.FloatNumber(1.5), "f93e00", false},
		{senml.FloatNumber(65504), "f97bff", false},
		{senml.FloatNumber(100000), "fa47c35000", false},
		{senml.FloatNumber(3.4028234663852886e+38), "fa7f7fffff", false},
		{senml.FloatNumber(1e300), "fb7e37e43c8800759c", false},
		{senml.FloatNumber(5.960464477539063e-8), "f90001", false},
		{senml.FloatNumber(0.00006103515625), "f90400", false},
		{senml.FloatNumber(-4), "f9c400", false},
		{senml.FloatNumber(-4.1), "fbc010666666666666", false},
		{senml.FloatNumber(math.Inf(1)), "f97c00", false},
		{senml.FloatNumber(math.NaN()), "f97e00", false},
		{senml.FloatNumber(math.Inf(-1)), "f9fc00", false},
		{senml.FloatNumber(1.5), "fa3fc00000", true},
		{senml.FloatNumber(1.5), "fb3ff8000000000000", true},
		{senml.FloatNumber(math.Inf(1)), "fa7f800000", true},
		{senml.FloatNumber(273.15), "c48221196ab3", true},
		{senml.IntNumber(500000004), "c482001a1dcd6504", true},
		{senml.IntNumber(2500), "c482021819", true},
		{senml.Number{}, "f6", true},
		{senml.Number{}, "f7", true},
	} {
		b, _ := hex.DecodeString(tc.hex)
		var got senml.Number
		if err := got.UnmarshalCBOR(b); err != nil || !got.Equal(tc.n) || got.Kind() != tc.n.Kind() {
			t.Errorf("decode %s: got %v (%v), %v; want %v (%v)", tc.hex, got, got.Kind(), err, tc.n, tc.n.Kind())
		}
		if tc.decOnly {
			continue
		}
		enc, err := tc.n.MarshalCBOR()
		if err != nil || hex.EncodeToString(enc) != tc.hex {
			t.Errorf("encode %v: got %x, %v; want %s", tc.n, enc, err, tc.hex)
		}
	}
	for _, bad := range []string{"3bffffffffffffffff", "6161", "f4", "c24101", "c48200", "c4820061", "c4831900", "18", "c482190fa001"} {
		b, _ := hex.DecodeString(bad)
		var n senml.Number
		if err := n.UnmarshalCBOR(b); err == nil {
			t.Errorf("decode %s: got %v, want an error", bad, n)
		}
	}
}

func TestNumberJSON(t *testing.T) {
	for _, tc := range []struct {
		text string
		n    senml.Number
		out  string // "" when it writes back as text
	}{
		{"0", senml.IntNumber(0), ""},
		{"-12", senml.IntNumber(-12), ""},
		{"9223372036854775807", senml.IntNumber(math.MaxInt64), ""},
		{"-9223372036854775808", senml.IntNumber(math.MinInt64), ""},
		{"18446744073709551615", senml.UintNumber(math.MaxUint64), ""},
		{"18446744073709551616", senml.FloatNumber(18446744073709551616), "1.8446744073709552e+19"},
		{"1.0", senml.FloatNumber(1), ""},
		{"20.0", senml.FloatNumber(20), ""},
		{"-0.0", senml.FloatNumber(math.Copysign(0, -1)), ""},
		{"1e3", senml.FloatNumber(1000), "1000.0"},
		{"1.3674912E9", senml.FloatNumber(1367491200), "1.3674912e+09"},
		{"0.000001", senml.FloatNumber(1e-6), "1e-06"},
		{"1.276020076001e+09", senml.FloatNumber(1276020076.001), ""},
		{"120.1", senml.FloatNumber(120.1), ""},
	} {
		var got senml.Number
		if err := got.UnmarshalJSON([]byte(tc.text)); err != nil || !got.Equal(tc.n) {
			t.Errorf("decode %s: got %v, %v; want %v", tc.text, got, err, tc.n)
			continue
		}
		out, err := got.MarshalJSON()
		want := tc.out
		if want == "" {
			want = tc.text
		}
		if err != nil || string(out) != want {
			t.Errorf("encode %s: got %s, %v; want %s", tc.text, out, err, want)
		}
	}
	for _, bad := range []string{`"1"`, "true", "1e400", "-1e400"} {
		var n senml.Number
		if err := n.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("decode %s: got %v, want an error", bad, n)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := senml.FloatNumber(f).MarshalJSON(); err == nil {
			t.Errorf("encode %v: want an error", f)
		}
	}
}

func TestNumberAdd(t *testing.T) {
	for _, tc := range []struct{ a, b, want senml.Number }{
		{senml.Number{}, senml.Number{}, senml.Number{}},
		{senml.IntNumber(5), senml.Number{}, senml.IntNumber(5)},
		{senml.Number{}, senml.FloatNumber(2), senml.FloatNumber(2)},
		{senml.IntNumber(1276020076), senml.IntNumber(-5), senml.IntNumber(1276020071)},
		{senml.IntNumber(math.MaxInt64), senml.IntNumber(1), senml.UintNumber(1 << 63)},
		{senml.IntNumber(math.MinInt64), senml.IntNumber(-1), senml.FloatNumber(-9223372036854775809)},
		{senml.UintNumber(math.MaxUint64), senml.IntNumber(-1), senml.FloatNumber(18446744073709551614)},
		{senml.FloatNumber(1276020076.001), senml.IntNumber(-5), senml.FloatNumber(1276020071.001)},
	} {
		if got := tc.a.Add(tc.b); !got.Equal(tc.want) {
			t.Errorf("%v + %v = %v (%v), want %v (%v)", tc.a, tc.b, got, got.Kind(), tc.want, tc.want.Kind())
		}
	}
}
