package senml_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

func TestDecodeErrors(t *testing.T) {
	c := senml.NewJSON(senml.WithNow(clock))
	models := newTestModels()
	for _, tc := range []struct {
		name, path, payload, msg string
	}{
		{"string into integer", "/3/0", `[{"n":"/3/0/9","vs":"x"}]`,
			"senml-json: record 0 (/3/0/9): value is a string, resource is integer"},
		{"boolean into integer", "/", `[{"n":"/3/0/1"},{"n":"/3/0/9","vb":true}]`,
			"record 1 (/3/0/9): value is a boolean, resource is integer"},
		{"number into string", "/", `[{"n":"/3/0/0","v":1}]`, "record 0 (/3/0/0): value is a number, resource is string"},
		{"data into string", "/", `[{"n":"/3/0/0","vd":"AA"}]`, "value is opaque data, resource is string"},
		{"objlnk into string", "/", `[{"n":"/3/0/0","vlo":"1:2"}]`, "value is an object link, resource is string"},
		{"fraction into integer", "/", `[{"n":"/3/0/9","v":1.5}]`, "record 0 (/3/0/9): resource is integer: 1.5 is not a whole number"},
		{"negative unsigned", "/", `[{"n":"/1/0/11","v":-1}]`, "resource is unsigned: -1 is negative"},
		{"two values", "/", `[{"bn":"/3/0/","n":"1","vs":"a"},{"n":"9","v":1,"vs":"x"}]`,
			"record 1 (/3/0/9): more than one value field (v, vs)"},
		{"no name", "/", `[{"v":1}]`, "record 0: no name (neither bn nor n)"},
		{"not a path", "/", `[{"bn":"urn:dev:","n":"temp","v":1}]`, `record 0: name "urn:dev:temp" is not an LwM2M path`},
		{"trailing slash", "/", `[{"bn":"/3/0/","v":1}]`, `record 0: name "/3/0/" is not an LwM2M path`},
		{"reserved id", "/", `[{"n":"/3/65535/0","v":1}]`, "is not an LwM2M path"},
		{"five segments", "/", `[{"n":"/3/0/6/0/1","v":1}]`, "is not an LwM2M path"},
		{"root", "/", `[{"n":"/"}]`, `record 0: name "/" is the root`},
		{"duplicate", "/", `[{"bn":"/3/0/","n":"9","v":1},{"n":"10","v":2},{"n":"9","v":3}]`,
			"record 2 (/3/0/9): same path and time as record 0"},
		{"duplicate time", "/", `[{"n":"/3303/0/5700","v":1,"t":1767323000},{"bt":1767322999,"n":"/3303/0/5700","v":2,"t":1}]`,
			"record 1 (/3303/0/5700): same path and time as record 0"},
		{"outside path", "/3/0", `[{"n":"/4/0/0","v":1}]`, "record 0 (/4/0/0): not under the request path /3/0"},
		{"multiple without instance", "/", `[{"n":"/3/0/6","v":1}]`, "the resource is multiple-instance"},
		{"single with instance", "/", `[{"n":"/3/0/9/0","v":1}]`, "the resource is single-instance"},
		{"executable", "/", `[{"n":"/3/0/4","v":1}]`, "the resource is executable"},
		{"value at instance", "/", `[{"n":"/3/0","v":1}]`, "record 0 (/3/0): a value needs a resource or resource-instance path"},
		{"sum", "/", `[{"n":"/3/0/9","s":1}]`, "a sum (s) has no meaning in LwM2M"},
		{"bad objlnk", "/", `[{"n":"/65/0/0/0","vlo":"66"}]`, `vlo "66" is not an object link`},
		{"objlnk range", "/", `[{"n":"/9/0/0","vlo":"65536:0"}]`, `vlo "65536:0" is not an object link`},
		{"version", "/", `[{"bver":11,"n":"/3/0/9","v":1}]`, "record 0: bver 11 is not supported"},
		{"must understand", "/", `[{"n":"/3/0/9","v":1,"foo_":1}]`, `record 0: field "foo_" must be understood`},
		{"time range", "/", `[{"n":"/3/0/9","v":1,"t":1e300}]`, "record 0 (/3/0/9): time 1e+300 is out of range"},
		{"time far past", "/", `[{"n":"/3/0/9","v":1,"t":-1e10}]`, "out of range"},
		{"not an array", "/", `{"bn":"/3/0/"}`, "senml-json: offset 0: a SenML pack is a JSON array"},
		{"syntax", "/", `[{"n":"/3/0/9" "v":1}]`, "senml-json: offset 16: invalid character"},
	} {
		_, err := c.DecodeRecords(lwm2m.MustPath(tc.path), []byte(tc.payload), models)
		if !errors.Is(err, codec.ErrMalformed) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v\nwant a malformed error containing %q", tc.name, err, tc.msg)
		}
		if codec.StatusCode(err) != lwm2m.CodeBadRequest {
			t.Errorf("%s: status %v, want 4.00", tc.name, codec.StatusCode(err))
		}
	}
}

func TestDecodeCBORErrorsNameRecordAndPath(t *testing.T) {
	c := senml.NewCBOR(senml.WithNow(clock))
	// [{-2: "/3/0/", 0: "1", 3: "a"}, {0: "2", 3: "b"}, {0: "3", 3: "c"}, {0: "9", 3: "x"}]
	b, _ := parseHex([]byte("84a321652f332f302f00613103616" + "1a20061320361 62a20061330361 63a2006139036178"))
	_, err := c.DecodeRecords(lwm2m.Root, b, newTestModels())
	const want = "senml-cbor: record 3 (/3/0/9): value is a string, resource is integer"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	var de *codec.DecodeError
	if !errors.As(err, &de) || de.Format != lwm2m.FormatSenMLCBOR {
		t.Fatalf("got %T, want *codec.DecodeError for senml-cbor", err)
	}
	// A NaN time: [{0: "/3/0/9", 2: 1, 6: NaN}]
	b, _ = parseHex([]byte("81a300662f332f302f39020106f97e00"))
	if _, err := c.DecodeRecords(lwm2m.Root, b, newTestModels()); err == nil || !strings.Contains(err.Error(), "time NaN is not a finite number") {
		t.Fatalf("NaN time: got %v", err)
	}
}

func TestDecodeNode(t *testing.T) {
	models := newTestModels()
	for _, f := range testFormats() {
		c := f.codec
		// An empty payload or pack is an empty node; a multiple resource
		// per the model stays multiple.
		for _, empty := range [][]byte{nil, []byte("[]"), {0x80}} {
			if f.name == "json" && len(empty) == 1 || f.name == "cbor" && string(empty) == "[]" {
				continue
			}
			n, err := c.Decode(lwm2m.MustPath("/3/0/6"), empty, models)
			if err != nil || n.Kind != lwm2m.KindMultipleResource || n.ID != 6 || len(n.Children) != 0 {
				t.Errorf("%s: empty /3/0/6: got %+v, %v", f.name, n, err)
			}
			n, err = c.Decode(lwm2m.MustPath("/1"), empty, models)
			if err != nil || n.Kind != lwm2m.KindObject || len(n.Children) != 0 {
				t.Errorf("%s: empty /1: got %+v, %v", f.name, n, err)
			}
			if _, err := c.Decode(lwm2m.MustPath("/3/0/9"), empty, models); !errors.Is(err, codec.ErrMalformed) {
				t.Errorf("%s: empty /3/0/9: got %v, want malformed (no value)", f.name, err)
			}
		}
		if _, err := c.Decode(lwm2m.Root, nil, models); !errors.Is(err, codec.ErrNotRepresentable) {
			t.Errorf("%s: Decode at the root: got %v", f.name, err)
		}
	}
	c := senml.NewJSON(senml.WithNow(clock))
	if _, err := c.Decode(lwm2m.MustPath("/3/0"), []byte(`[{"n":"/3/0/0"}]`), models); err == nil || !strings.Contains(err.Error(), "record 0 (/3/0/0): no value") {
		t.Errorf("path-only record in Decode: got %v", err)
	}
	// Several timestamps cannot make one node.
	_, err := c.Decode(lwm2m.MustPath("/3303/0"), []byte(`[{"bn":"/3303/0/5700","bt":1767323000,"v":1},{"bt":1767323001,"n":"","v":2}]`), models)
	if !errors.Is(err, codec.ErrNotRepresentable) {
		t.Errorf("timestamped values in Decode: got %v", err)
	}
	// One shared timestamp is dropped.
	n, err := c.Decode(lwm2m.MustPath("/3303/0/5700"), []byte(`[{"bn":"/3303/0/5700","bt":1767323000,"v":21}]`), models)
	if err != nil || n.Value.Type() != lwm2m.TypeFloat || n.Value.Float() != 21 {
		t.Errorf("single timestamped value: got %+v, %v", n, err)
	}
}

func TestDecodeTypes(t *testing.T) {
	c := senml.NewJSON(senml.WithNow(clock))
	payload := `[{"n":"/3442/0/110","vs":"WXYZ"},{"n":"/3442/0/120","v":18446744073709551615},` +
		`{"n":"/3442/0/1110","vs":"</3/0>;ver=1.1"},{"n":"/3/0/13","v":1.638435E9},{"n":"/0/0/16/0","v":7},` +
		`{"n":"/0/0/3","vd":""},{"n":"/99/0/1","v":2.0},{"n":"/99/0/2","v":2.5},{"n":"/99/0/3","v":18446744073709551615},` +
		`{"n":"/99/0/4","vs":"s"},{"n":"/99/0/5","vb":true},{"n":"/99/0/6","vd":"AQI"},{"n":"/99/0/7","vlo":"3:0"},` +
		`{"n":"/3308/0/5900","v":20}]`
	recs, err := c.DecodeRecords(lwm2m.Root, []byte(payload), newTestModels())
	if err != nil {
		t.Fatal(err)
	}
	want := []lwm2m.Value{
		lwm2m.StringValue("WXYZ"), lwm2m.UintValue(18446744073709551615), lwm2m.CorelnkValue("</3/0>;ver=1.1"),
		lwm2m.UnixTimeValue(1638435000), lwm2m.UintValue(7), lwm2m.OpaqueValue([]byte{}),
		lwm2m.IntValue(2), lwm2m.FloatValue(2.5), lwm2m.UintValue(18446744073709551615),
		lwm2m.StringValue("s"), lwm2m.BoolValue(true), lwm2m.OpaqueValue([]byte{1, 2}), lwm2m.ObjlnkValue(3, 0),
		lwm2m.FloatValue(20),
	}
	for i, r := range recs {
		if !r.Value.Equal(want[i]) {
			t.Errorf("record %d (%s): got %s %v, want %s %v", i, r.Path, r.Value.Type(), r.Value, want[i].Type(), want[i])
		}
	}
	// Without a model every value keeps its natural type.
	recs, err = c.DecodeRecords(lwm2m.Root, []byte(`[{"n":"/3/0/9","v":95},{"n":"/3/0/0","vs":"x"}]`), nil)
	if err != nil || !recs[0].Value.Equal(lwm2m.IntValue(95)) || !recs[1].Value.Equal(lwm2m.StringValue("x")) {
		t.Errorf("no model: got %+v, %v", recs, err)
	}
}

func TestDecodeTimes(t *testing.T) {
	calls := 0
	c := senml.NewJSON(senml.WithNow(func() time.Time { calls++; return fixedNow }))
	payload := `[{"bn":"/3303/0/5700","v":1},{"bt":-10,"v":2},{"bt":0,"t":-1.5,"v":3},{"bt":1767323000.000123,"v":4},` +
		`{"bt":1767323000,"t":0.25,"v":5},{"bt":268435456,"v":6},{"bt":268435455,"v":7},{"bn":"/3303/0/5701","bt":0,"t":0,"vs":"C"}]`
	recs, err := c.DecodeRecords(lwm2m.Root, []byte(payload), newTestModels())
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		{},
		fixedNow.Add(-10 * time.Second),
		fixedNow.Add(-1500 * time.Millisecond),
		time.Unix(1767323000, 123000).UTC(),
		time.Unix(1767323000, 250000000).UTC(),
		time.Unix(268435456, 0).UTC(),
		fixedNow.Add(268435455 * time.Second),
		{},
	}
	for i, r := range recs {
		if !r.Time.Equal(want[i]) {
			t.Errorf("record %d: time %s, want %s", i, fmtTime(r.Time), fmtTime(want[i]))
		}
	}
	if calls != 1 {
		t.Errorf("the clock was read %d times, want once per payload", calls)
	}
	if _, err := c.DecodeRecords(lwm2m.Root, []byte(`[{"n":"/3/0/9","v":1,"t":1767323000}]`), nil); err != nil || calls != 1 {
		t.Errorf("absolute times need no clock: calls %d, %v", calls, err)
	}
}

func TestDecodeMaxRecords(t *testing.T) {
	for _, c := range []*senml.Codec{senml.NewJSON(senml.WithMaxRecords(2)), senml.NewCBOR(senml.WithMaxRecords(2))} {
		recs := []lwm2m.Record{{Path: lwm2m.MustPath("/1/0/1")}, {Path: lwm2m.MustPath("/1/0/2")}, {Path: lwm2m.MustPath("/1/0/3")}}
		data, err := c.EncodeRecords(lwm2m.Root, recs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.DecodeRecords(lwm2m.Root, data, nil); err == nil || !strings.Contains(err.Error(), "3 records, more than the limit of 2") {
			t.Errorf("%s: got %v", c.Format(), err)
		}
		if _, err := c.DecodeRecords(lwm2m.Root, data[:0], nil); err != nil {
			t.Errorf("%s: empty payload: %v", c.Format(), err)
		}
	}
}

func TestDecodeDoesNotAliasInput(t *testing.T) {
	c := senml.NewCBOR()
	data := []byte{0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '3', 0x08, 0x42, 0xab, 0xcd}
	recs, err := c.DecodeRecords(lwm2m.Root, data, newTestModels())
	if err != nil {
		t.Fatal(err)
	}
	data[12] = 0
	if b := recs[0].Value.Bytes(); len(b) != 2 || b[0] != 0xab || b[1] != 0xcd {
		t.Fatalf("opaque value changed with the input buffer: %x", b)
	}
}

// TestConcurrentUse shares one codec between goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	for _, f := range testFormats() {
		data := readGolden(t, "lwm2m/device-read"+f.ext)
		p := lwm2m.MustPath("/3/0")
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				var err error
				for range 50 {
					var n lwm2m.Node
					if n, err = f.codec.Decode(p, data, newTestModels()); err != nil {
						break
					}
					if _, err = f.codec.Encode(p, &n); err != nil {
						break
					}
				}
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
		}
	}
}
