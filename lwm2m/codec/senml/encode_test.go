package senml_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

func rec(path string, v lwm2m.Value) lwm2m.Record {
	return lwm2m.Record{Path: lwm2m.MustPath(path), Value: v}
}

func TestEncodeNaming(t *testing.T) {
	c := senml.NewJSON()
	for _, tc := range []struct {
		name string
		recs []lwm2m.Record
		want string
	}{
		{"empty", nil, `[]`},
		{"single", []lwm2m.Record{rec("/3/0/9", lwm2m.IntValue(95))}, `[{"bn":"/3/0/9","v":95}]`},
		{"multiple resource", []lwm2m.Record{rec("/3/0/7/0", lwm2m.IntValue(3800)), rec("/3/0/7/1", lwm2m.IntValue(5000))},
			`[{"bn":"/3/0/7/","n":"0","v":3800},{"n":"1","v":5000}]`},
		{"object", []lwm2m.Record{rec("/1/0/1", lwm2m.IntValue(300)), rec("/1/1/1", lwm2m.IntValue(60))},
			`[{"bn":"/1/","n":"0/1","v":300},{"n":"1/1","v":60}]`},
		{"prefix is a record", []lwm2m.Record{rec("/3/0", lwm2m.NoneValue()), rec("/3/0/1", lwm2m.NoneValue()), rec("/3/0/6/0", lwm2m.NoneValue())},
			`[{"bn":"/3/0"},{"n":"/1"},{"n":"/6/0"}]`},
		{"no common object", []lwm2m.Record{rec("/1", lwm2m.NoneValue()), rec("/3/0/9", lwm2m.NoneValue())},
			`[{"n":"/1"},{"n":"/3/0/9"}]`},
		{"html and unicode stay literal", []lwm2m.Record{rec("/3442/0/1110", lwm2m.CorelnkValue(`</3/0>;title="ä&b"`))},
			`[{"bn":"/3442/0/1110","vs":"</3/0>;title=\"ä&b\""}]`},
		{"types", []lwm2m.Record{rec("/9/0/0", lwm2m.UintValue(math.MaxUint64)), rec("/9/0/1", lwm2m.FloatValue(-2)),
			rec("/9/0/2", lwm2m.OpaqueValue(nil)), rec("/9/0/3", lwm2m.ObjlnkValue(65535, 65535)), rec("/9/0/4", lwm2m.BoolValue(false)),
			rec("/9/0/5", lwm2m.UnixTimeValue(1367491215)), rec("/9/0/6", lwm2m.IntValue(math.MinInt64))},
			`[{"bn":"/9/0/","n":"0","v":18446744073709551615},{"n":"1","v":-2.0},{"n":"2","vd":""},{"n":"3","vlo":"65535:65535"},` +
				`{"n":"4","vb":false},{"n":"5","v":1367491215},{"n":"6","v":-9223372036854775808}]`},
	} {
		got, err := c.EncodeRecords(lwm2m.Root, tc.recs)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s, %v\nwant %s", tc.name, got, err, tc.want)
			continue
		}
		back, err := c.DecodeRecords(lwm2m.Root, got, nil)
		if err != nil {
			t.Errorf("%s: decode: %v", tc.name, err)
			continue
		}
		// Without a model whole floats read back as integers; compare text.
		for i := range back {
			if back[i].Path != tc.recs[i].Path || back[i].Value.Text() != tc.recs[i].Value.Text() {
				t.Errorf("%s: record %d read back as %s %v", tc.name, i, back[i].Path, back[i].Value)
			}
		}
	}
}

func TestEncodeTimes(t *testing.T) {
	c := senml.NewCBOR()
	t0 := time.Unix(1767323000, 0)
	recs := []lwm2m.Record{
		{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(1), Time: t0},
		{Path: lwm2m.MustPath("/3303/1/5700"), Value: lwm2m.FloatValue(2), Time: t0},
		{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(3), Time: t0.Add(1500 * time.Millisecond)},
		{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(4)},
	}
	data, err := c.EncodeRecords(lwm2m.MustPath("/3303"), recs)
	if err != nil {
		t.Fatal(err)
	}
	// [{-2: "/3303/", -3: 1767323000, 0: "0/5700", 2: 1.0}, {0: "1/5700", 2: 2.0},
	//  {-3: 1767323001.5, 0: "0/5700", 2: 3.0}, {-3: 0, 0: "0/5700", 2: 4.0}]
	const want = "84" + "a4" + "21662f333330332f" + "221a69573578" + "0066302f35373030" + "02f93c00" +
		"a2" + "0066312f35373030" + "02f94000" +
		"a3" + "22fb41da55cd5e600000" + "0066302f35373030" + "02f94200" +
		"a3" + "2200" + "0066302f35373030" + "02f94400"
	if got := hexString(data); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := c.DecodeRecords(lwm2m.MustPath("/3303"), data, newTestModels())
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRecords(back, recs); d != "" {
		t.Fatal(d)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, f := range testFormats() {
		c := f.codec
		bad := lwm2m.NewInstance(0, lwm2m.NewResource(1, lwm2m.IntValue(1)), lwm2m.NewResource(1, lwm2m.IntValue(2)))
		if _, err := c.Encode(lwm2m.MustPath("/3/0"), &bad); !errors.Is(err, lwm2m.ErrInvalidNode) {
			t.Errorf("%s: duplicate resource ids: got %v", f.name, err)
		}
		n := lwm2m.NewResource(9, lwm2m.IntValue(1))
		if _, err := c.Encode(lwm2m.MustPath("/3/0/8"), &n); !errors.Is(err, lwm2m.ErrInvalidNode) {
			t.Errorf("%s: node id differs from the path: got %v", f.name, err)
		}
		for _, tc := range []struct {
			name string
			path string
			recs []lwm2m.Record
			want error
		}{
			{"outside", "/3/0", []lwm2m.Record{rec("/3/1/0", lwm2m.IntValue(1))}, lwm2m.ErrInvalidNode},
			{"value at instance", "/", []lwm2m.Record{rec("/3/0", lwm2m.IntValue(1))}, lwm2m.ErrInvalidNode},
			{"root record", "/", []lwm2m.Record{{}}, lwm2m.ErrInvalidNode},
			{"duplicate", "/", []lwm2m.Record{rec("/3/0/9", lwm2m.IntValue(1)), rec("/3/0/9", lwm2m.IntValue(2))}, lwm2m.ErrInvalidNode},
			{"old time", "/", []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/9"), Value: lwm2m.IntValue(1), Time: time.Unix(1000, 0)}}, codec.ErrNotRepresentable},
			{"invalid utf-8", "/", []lwm2m.Record{rec("/3/0/0", lwm2m.StringValue("\xff"))}, codec.ErrNotRepresentable},
		} {
			if _, err := c.EncodeRecords(lwm2m.MustPath(tc.path), tc.recs); !errors.Is(err, tc.want) {
				t.Errorf("%s: %s: got %v, want %v", f.name, tc.name, err, tc.want)
			}
		}
	}
	nan := []lwm2m.Record{rec("/3303/0/5700", lwm2m.FloatValue(math.NaN()))}
	if _, err := senml.NewJSON().EncodeRecords(lwm2m.Root, nan); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Errorf("NaN in JSON: got %v", err)
	}
	data, err := senml.NewCBOR().EncodeRecords(lwm2m.Root, nan)
	if err != nil || hexString(data) != "81a2216c2f333330332f302f3537303002f97e00" {
		t.Errorf("NaN in CBOR: got %x, %v", data, err)
	}
}
