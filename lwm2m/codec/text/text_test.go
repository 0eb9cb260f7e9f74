package text

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

type golden struct {
	Name    string     `json:"name"`
	Path    lwm2m.Path `json:"path"`
	Payload string     `json:"payload"`
	Node    lwm2m.Node `json:"node"`
}

func loadGolden(t testing.TB) []golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g []golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGolden(t *testing.T) {
	c := New()
	for _, g := range loadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			n, err := c.Decode(g.Path, []byte(g.Payload), models)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !n.Equal(&g.Node) {
				t.Fatalf("Decode = %+v, want %+v", n, g.Node)
			}
			out, err := c.Encode(g.Path, &g.Node)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if string(out) != g.Payload {
				t.Fatalf("Encode = %q, want %q", out, g.Payload)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	if f := New().Format(); f != lwm2m.FormatText {
		t.Fatalf("Format = %v", f)
	}
}

func TestEncodeValues(t *testing.T) {
	p := lwm2m.MustPath("/65000/0/3")
	cases := []struct {
		v    lwm2m.Value
		want string
	}{
		{lwm2m.FloatValue(-0.125), "-0.125"},
		{lwm2m.BoolValue(false), "0"},
		{lwm2m.OpaqueValue([]byte{0xff, 0xfe}), "//4="},
		{lwm2m.TimeValue(time.Date(2013, 5, 2, 10, 40, 15, 0, time.UTC)), "1367491215"},
		{lwm2m.ObjlnkValue(65535, 65535), "65535:65535"},
		{lwm2m.UintValue(7), "7"},
	}
	for _, tc := range cases {
		n := lwm2m.NewResource(3, tc.v)
		got, err := New().Encode(p, &n)
		if err != nil || string(got) != tc.want {
			t.Errorf("Encode(%v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name    string
		path    string
		payload string
		want    error
		offset  int
	}{
		{"not an integer", "/3/0/9", "ten", codec.ErrMalformed, -1},
		{"integer with space", "/3/0/9", " 10", codec.ErrMalformed, -1},
		{"integer overflow", "/3/0/9", "9223372036854775808", codec.ErrMalformed, -1},
		{"negative unsigned", "/65000/0/2", "-1", codec.ErrMalformed, -1},
		{"bad boolean", "/65000/0/4", "yes", codec.ErrMalformed, -1},
		{"bad base64", "/65000/0/5", "!!!", codec.ErrMalformed, -1},
		{"bad objlnk", "/65000/0/7", "66", codec.ErrMalformed, -1},
		{"bad time", "/3/0/13", "yesterday", codec.ErrMalformed, -1},
		{"invalid utf-8", "/3/0/0", "ab\xffcd", codec.ErrMalformed, 2},
		{"object", "/3", "x", codec.ErrNotRepresentable, 0},
		{"instance", "/3/0", "x", codec.ErrNotRepresentable, 0},
		{"root", "/", "x", codec.ErrNotRepresentable, 0},
		{"multiple resource", "/3/0/6", "1", codec.ErrNotRepresentable, 0},
		{"executable", "/3/0/4", "", codec.ErrNotRepresentable, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New().Decode(lwm2m.MustPath(tc.path), []byte(tc.payload), models)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var de *codec.DecodeError
			if errors.As(err, &de) {
				if de.Offset != tc.offset || !de.HasPath || de.Path.String() != tc.path {
					t.Fatalf("DecodeError = %+v, want offset %d at %s", de, tc.offset, tc.path)
				}
			}
		})
	}
}

func TestDecodeWithoutModel(t *testing.T) {
	for _, m := range []lwm2m.ModelProvider{nil, lwm2m.NoModels{}} {
		n, err := New().Decode(lwm2m.MustPath("/3/0/9"), []byte("100"), m)
		if err != nil {
			t.Fatal(err)
		}
		if n.Value.Type() != lwm2m.TypeString || n.Value.Str() != "100" {
			t.Fatalf("without a model the value should stay a string, got %v %v", n.Value.Type(), n.Value)
		}
	}
}

func TestEncodeNotRepresentable(t *testing.T) {
	c := New()
	inst := lwm2m.NewInstance(0, lwm2m.NewResource(0, lwm2m.StringValue("x")))
	multi := lwm2m.NewMultipleResource(6, lwm2m.NewResourceInstance(0, lwm2m.IntValue(1)))
	exec := lwm2m.NewResource(4, lwm2m.NoneValue())
	cases := []struct {
		name string
		path string
		node *lwm2m.Node
		want error
	}{
		{"instance", "/3/0", &inst, codec.ErrNotRepresentable},
		{"multiple", "/3/0/6", &multi, codec.ErrNotRepresentable},
		{"no value", "/3/0/4", &exec, codec.ErrNotRepresentable},
		{"wrong id", "/3/0/5", &exec, lwm2m.ErrInvalidNode},
		{"resource at instance path", "/3/0/4/0", &exec, codec.ErrNotRepresentable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Encode(lwm2m.MustPath(tc.path), tc.node)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRecords(t *testing.T) {
	c := New()
	p := lwm2m.MustPath("/3/0/9")
	recs, err := c.DecodeRecords(p, []byte("77"), models)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Path != p || !recs[0].Value.Equal(lwm2m.IntValue(77)) {
		t.Fatalf("DecodeRecords = %+v", recs)
	}
	out, err := c.EncodeRecords(p, recs)
	if err != nil || string(out) != "77" {
		t.Fatalf("EncodeRecords = %q, %v", out, err)
	}
	recs[0].Time = time.Unix(100, 0)
	if _, err := c.EncodeRecords(p, recs); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("timestamped record: err = %v, want not representable", err)
	}
	two := []lwm2m.Record{
		{Path: lwm2m.MustPath("/3/0/7/0"), Value: lwm2m.IntValue(1)},
		{Path: lwm2m.MustPath("/3/0/7/1"), Value: lwm2m.IntValue(2)},
	}
	if _, err := c.EncodeRecords(lwm2m.MustPath("/3/0/7"), two); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("two records: err = %v, want not representable", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, g := range loadGolden(f) {
		f.Add(g.Path.String(), []byte(g.Payload))
	}
	f.Add("/3/0/9", []byte("\xff"))
	c := New()
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := lwm2m.ParsePath(path)
		if err != nil {
			return
		}
		n, err := c.Decode(p, data, models)
		if err != nil {
			if !errors.Is(err, codec.ErrMalformed) && !errors.Is(err, codec.ErrNotRepresentable) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if err := n.Validate(p); err != nil {
			t.Fatalf("decoded node invalid: %v", err)
		}
		// A decoded value must encode and decode to the same value.
		out, err := c.Encode(p, &n)
		if err != nil {
			if n.Value.Type() == lwm2m.TypeNone {
				return
			}
			t.Fatalf("re-encode: %v", err)
		}
		m, err := c.Decode(p, out, models)
		if err != nil || !sameValue(m.Value, n.Value) {
			t.Fatalf("round trip %q -> %q: %v %v vs %v", data, out, err, m.Value, n.Value)
		}
	})
}

// sameValue compares values, treating floats by value (text may spell a
// float several ways, but the value must survive).
func sameValue(a, b lwm2m.Value) bool {
	if a.Type() == lwm2m.TypeFloat && b.Type() == lwm2m.TypeFloat {
		x, y := a.Float(), b.Float()
		return x == y || x != x && y != y
	}
	return a.Equal(b)
}
