package senml_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

// The raw goldens in testdata/rfc8428 are RFC 8428's examples (§5.1.1,
// §5.1.2 with its CBOR form from §6, §5.1.3 humidity, §5.1.5 data types,
// §5.1.6 with bver) written compactly, which is this package's canonical
// JSON, and their resolved forms (§4.6).
var rawGoldens = []string{"single", "multiple", "timeseries", "humidity", "datatypes", "version"}

func newCBORFormat(t testing.TB) *senml.CBORFormat {
	t.Helper()
	f, err := senml.NewCBORFormat(0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRawGoldenJSON(t *testing.T) {
	for _, name := range rawGoldens {
		t.Run(name, func(t *testing.T) {
			data := readGolden(t, "rfc8428/"+name+".json")
			pack, err := senml.JSONFormat{}.DecodePack(data)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := senml.JSONFormat{}.EncodePack(pack)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, data) {
				t.Errorf("re-encoded:\n got %s\nwant %s", enc, data)
			}
			res, err := senml.Resolve(pack)
			if err != nil {
				t.Fatal(err)
			}
			wantRes := readGolden(t, "rfc8428/"+name+".resolved.json")
			gotRes, err := senml.JSONFormat{}.EncodePack(res)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotRes, wantRes) {
				t.Errorf("resolved:\n got %s\nwant %s", gotRes, wantRes)
			}
		})
	}
}

func TestRawGoldenCBOR(t *testing.T) {
	f := newCBORFormat(t)
	data := readGolden(t, "rfc8428/timeseries.cbor.hex")
	pack, err := f.DecodePack(data)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := senml.JSONFormat{}.DecodePack(readGolden(t, "rfc8428/timeseries.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pack, fromJSON) {
		t.Errorf("CBOR and JSON forms differ:\n%+v\n%+v", pack, fromJSON)
	}
	enc, err := f.EncodePack(pack)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, data) {
		t.Errorf("re-encoded:\n got %x\nwant %x", enc, data)
	}
}

// TestRawFields checks individual decoded fields of the RFC examples.
func TestRawFields(t *testing.T) {
	ts, err := senml.JSONFormat{}.DecodePack(readGolden(t, "rfc8428/timeseries.json"))
	if err != nil {
		t.Fatal(err)
	}
	r0 := ts[0]
	if r0.BaseName == nil || *r0.BaseName != "urn:dev:ow:10e2073a0108006:" || r0.BaseUnit != "A" || r0.BaseVersion != 5 {
		t.Errorf("record 0 base fields: %+v", r0)
	}
	if r0.BaseTime.Kind() != senml.NumberFloat || r0.BaseTime.Float64() != 1276020076.001 {
		t.Errorf("bt = %v (%v), want float 1276020076.001", r0.BaseTime, r0.BaseTime.Kind())
	}
	if i, ok := ts[1].Time.Int64(); !ok || i != -5 || ts[1].Time.Kind() != senml.NumberInt {
		t.Errorf("record 1 t = %v, want integer -5", ts[1].Time)
	}
	if !ts[6].Time.Present() || ts[6].Time.Kind() != senml.NumberInt {
		t.Errorf("record 6 t = %v, want an explicit integer 0", ts[6].Time)
	}

	dt, err := senml.JSONFormat{}.DecodePack(readGolden(t, "rfc8428/datatypes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if dt[1].StringValue == nil || *dt[1].StringValue != "Machine Room" {
		t.Errorf("vs = %v", dt[1].StringValue)
	}
	if dt[2].BoolValue == nil || *dt[2].BoolValue {
		t.Errorf("vb = %v, want false", dt[2].BoolValue)
	}
	if string(dt[3].DataValue) != "hi \n" {
		t.Errorf("vd = %q, want \"hi \\n\"", dt[3].DataValue)
	}
}

func TestResolve(t *testing.T) {
	pack := senml.Pack{
		{BaseName: senml.Ptr("dev/"), BaseValue: senml.IntNumber(10), BaseSum: senml.FloatNumber(0.5), BaseTime: senml.IntNumber(1000), BaseUnit: "W",
			Name: "a", Value: senml.IntNumber(5), Sum: senml.IntNumber(1)},
		{Name: "b", Unit: "V", Value: senml.FloatNumber(0.25), Time: senml.IntNumber(-10)},
		{BaseName: senml.Ptr(""), BaseTime: senml.IntNumber(0), Name: "c", StringValue: senml.Ptr("")},
	}
	got, err := senml.Resolve(pack)
	if err != nil {
		t.Fatal(err)
	}
	want := senml.Pack{
		{Name: "dev/a", Unit: "W", Value: senml.IntNumber(15), Sum: senml.FloatNumber(1.5), Time: senml.IntNumber(1000)},
		{Name: "dev/b", Unit: "V", Value: senml.FloatNumber(10.25), Time: senml.IntNumber(990)},
		{Name: "c", Unit: "W", StringValue: senml.Ptr(""), Time: senml.IntNumber(0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve:\n got %+v\nwant %+v", got, want)
	}

	for _, tc := range []struct {
		name string
		pack senml.Pack
		msg  string
	}{
		{"version", senml.Pack{{BaseVersion: 11, Name: "x"}}, "record 0: invalid SenML pack: bver 11 is not supported"},
		{"two values", senml.Pack{{Name: "x", Value: senml.IntNumber(1), BoolValue: senml.Ptr(true)}}, "more than one value field (v, vb)"},
		{"no name", senml.Pack{{Name: "x"}, {BaseName: senml.Ptr(""), Value: senml.IntNumber(1)}}, "record 1: invalid SenML pack: no name"},
	} {
		_, err := senml.Resolve(tc.pack)
		if !errors.Is(err, senml.ErrInvalidPack) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %q wrapping ErrInvalidPack", tc.name, err, tc.msg)
		}
	}
}

func TestRawPresence(t *testing.T) {
	// Empty strings and data, false and zero are values, not absences.
	pack := senml.Pack{{Name: "x", StringValue: senml.Ptr("")}, {Name: "y", DataValue: senml.Data{}},
		{Name: "z", BoolValue: senml.Ptr(false)}, {Name: "w", Value: senml.IntNumber(0), Time: senml.FloatNumber(0)}}
	wantJSON := `[{"n":"x","vs":""},{"n":"y","vd":""},{"n":"z","vb":false},{"n":"w","t":0.0,"v":0}]`
	enc, err := senml.JSONFormat{}.EncodePack(pack)
	if err != nil || string(enc) != wantJSON {
		t.Fatalf("JSON: got %s, %v; want %s", enc, err, wantJSON)
	}
	back, err := senml.JSONFormat{}.DecodePack(enc)
	if err != nil || !reflect.DeepEqual(back, pack) {
		t.Fatalf("JSON round trip: got %+v, %v", back, err)
	}
	f := newCBORFormat(t)
	cb, err := f.EncodePack(pack)
	if err != nil {
		t.Fatal(err)
	}
	// [{0:"x",3:""},{0:"y",8:h''},{0:"z",4:false},{0:"w",6:0.0,2:0}]
	const wantCBOR = "84a200617803_60a200617908_40a20061 7a04f4a30061770 6f90000 0200"
	if got, want := hexString(cb), strings.NewReplacer("_", "", " ", "").Replace(wantCBOR); got != want {
		t.Fatalf("CBOR: got %s, want %s", got, want)
	}
	back, err = f.DecodePack(cb)
	if err != nil || !reflect.DeepEqual(back, pack) {
		t.Fatalf("CBOR round trip: got %+v, %v", back, err)
	}
}

func TestRawDecodeErrors(t *testing.T) {
	f := newCBORFormat(t)
	for _, tc := range []struct {
		name string
		cbor bool
		data string // JSON text, or hex for CBOR
		msg  string
	}{
		{"json object", false, ` {"n":"x"}`, "senml-json: offset 1: a SenML pack is a JSON array"},
		{"json null", false, `null`, "a SenML pack is a JSON array"},
		{"json syntax", false, `[{"n":"x",}]`, "senml-json: offset 11: invalid character '}'"},
		{"json type", false, `[{"n":5}]`, "n: a JSON number cannot be string"},
		{"json v string", false, `[{"n":"x","v":"5"}]`, "not a number"},
		{"json number range", false, `[{"n":"x","v":1e999}]`, "out of range"},
		{"json vd", false, `[{"n":"x","vd":"!!"}]`, "vd is not base64url"},
		{"json must understand", false, `[{"n":"x","v":1},{"n":"y","v":2,"z_":1,"a_":0}]`, `record 1: field "a_" must be understood`},
		{"json must understand escaped", false, `[{"n":"x","v":1,"z\u005f":1}]`, `field "z_" must be understood`},
		{"cbor map", true, "a10061 78", "senml-cbor: offset 0: a SenML pack is a CBOR array"},
		{"cbor truncated", true, "81a2006178", "unexpected EOF"},
		{"cbor duplicate key", true, "81a2006178006179", "duplicate map key"},
		{"cbor string for number", true, "81a2006178026135", "expected a number"},
		{"cbor bignum", true, "81a2006178 02c24101", "tag 2 is not supported"},
		{"cbor must understand", true, "81a3006178020162 615f01", `field "a_" must be understood`},
		{"cbor bad utf8", true, "81a1006 1ff", "invalid UTF-8"},
		{"cbor huge array", true, "9b7fffffffffffffff00", "exceeded max number of elements 65535"},
		{"cbor huge map", true, "81bb7fffffffffffffff00", "exceeded max number of key-value pairs 64"},
		{"cbor deep", true, "81a10081818181818100", "exceeded max nested level"},
		{"cbor bver type", true, "81a120 6178", "bver: CBOR UTF-8 text string cannot be int"},
	} {
		var err error
		if tc.cbor {
			b, herr := parseHex([]byte(strings.ReplaceAll(tc.data, " ", "")))
			if herr != nil {
				t.Fatalf("%s: %v", tc.name, herr)
			}
			_, err = f.DecodePack(b)
		} else {
			_, err = senml.JSONFormat{}.DecodePack([]byte(tc.data))
		}
		if !errors.Is(err, codec.ErrMalformed) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want a malformed error containing %q", tc.name, err, tc.msg)
		}
	}
}

func TestRawUnknownFieldsIgnored(t *testing.T) {
	p, err := senml.JSONFormat{}.DecodePack([]byte(`[{"n":"x","v":1,"foo":{"bar":[1,2]},"_x":true}]`))
	if err != nil || len(p) != 1 || p[0].Name != "x" {
		t.Fatalf("JSON: got %+v, %v", p, err)
	}
	// {0:"x", 2:1, 99:"y", "foo":1}
	b, _ := parseHex([]byte("81a4006178020118636179 63666f6f01"))
	p, err = newCBORFormat(t).DecodePack(b)
	if err != nil || len(p) != 1 || p[0].Name != "x" {
		t.Fatalf("CBOR: got %+v, %v", p, err)
	}
}
