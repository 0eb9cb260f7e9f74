package lwjson

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

var _ codec.Codec = (*Codec)(nil)

func TestFormat(t *testing.T) {
	if New().Format() != lwm2m.FormatLwM2MJSON {
		t.Fatal("wrong content format")
	}
}

// The clock is read once per payload, and only when a time is relative.
func TestClockReadOncePerPayload(t *testing.T) {
	calls := 0
	c := New(WithNow(func() time.Time { calls++; return defaultNow }))
	p := lwm2m.MustPath("/3303/0")
	if _, err := c.DecodeRecords(p, []byte(`{"bn":"/3303/0/","e":[{"n":"5700","v":1,"t":1700000000}]}`), models); err != nil || calls != 0 {
		t.Fatalf("absolute time: %d clock reads, err %v", calls, err)
	}
	recs, err := c.DecodeRecords(p, []byte(`{"bn":"/3303/0/","e":[{"n":"5700","v":1,"t":-1},{"n":"5701","sv":"C","t":-2}]}`), models)
	if err != nil || calls != 1 {
		t.Fatalf("relative times: %d clock reads, err %v", calls, err)
	}
	if !recs[0].Time.Equal(defaultNow.Add(-time.Second)) || !recs[1].Time.Equal(defaultNow.Add(-2*time.Second)) {
		t.Fatalf("times %v %v", recs[0].Time, recs[1].Time)
	}
}

func TestDefaultClockIsWallClock(t *testing.T) {
	before := time.Now()
	recs, err := New(WithNow(nil)).DecodeRecords(lwm2m.MustPath("/3303/0/5700"), []byte(`{"e":[{"v":1,"t":0}]}`), models)
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[0].Time; got.Before(before) || got.After(time.Now()) {
		t.Fatalf("t=0 decoded as %v, not the time of decoding", got)
	}
}

func TestEncodeRefusesWhatJSONCannotCarry(t *testing.T) {
	p := lwm2m.MustPath("/3303/0/5700")
	cases := map[string]lwm2m.Record{
		"NaN":          {Path: p, Value: lwm2m.FloatValue(math.NaN())},
		"infinity":     {Path: p, Value: lwm2m.FloatValue(math.Inf(-1))},
		"no value":     {Path: p, Value: lwm2m.NoneValue()},
		"epoch":        {Path: p, Value: lwm2m.FloatValue(1), Time: time.Unix(0, 0)},
		"before epoch": {Path: p, Value: lwm2m.FloatValue(1), Time: time.Unix(-10, 5)},
		"year 2200":    {Path: p, Value: lwm2m.FloatValue(1), Time: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, r := range cases {
		if _, err := New().EncodeRecords(p, []lwm2m.Record{r}); !errors.Is(err, codec.ErrNotRepresentable) {
			t.Errorf("%s: got %v, want ErrNotRepresentable", name, err)
		}
	}
	for name, r := range map[string]lwm2m.Record{
		"outside":  {Path: lwm2m.MustPath("/3/0/0"), Value: lwm2m.IntValue(1)},
		"instance": {Path: lwm2m.MustPath("/3303/0"), Value: lwm2m.IntValue(1)},
	} {
		if _, err := New().EncodeRecords(lwm2m.MustPath("/3303"), []lwm2m.Record{r}); !errors.Is(err, lwm2m.ErrInvalidNode) {
			t.Errorf("%s: got %v, want ErrInvalidNode", name, err)
		}
	}
}

func TestEncodeTimeFractions(t *testing.T) {
	p := lwm2m.MustPath("/3303/0/5700")
	for ns, want := range map[int]string{0: `"t":1700000000}`, 5e8: `"t":1700000000.5}`, 1: `"t":1700000000.000000001}`, 120e6: `"t":1700000000.12}`} {
		out, err := New().EncodeRecords(p, []lwm2m.Record{{Path: p, Value: lwm2m.FloatValue(1), Time: time.Unix(1700000000, int64(ns))}})
		if err != nil || !strings.HasSuffix(string(out), want+"]}") {
			t.Errorf("%d ns: got %s (%v), want …%s", ns, out, err, want)
		}
	}
}

func TestEncodeFloats(t *testing.T) {
	p := lwm2m.MustPath("/3303/0/5700")
	for f, want := range map[float64]string{22.4: "22.4", 1e21: "1e+21", 1e-7: "1e-07", 1e20: "100000000000000000000", -0.5: "-0.5", 3: "3"} {
		out, err := New().EncodeRecords(p, []lwm2m.Record{{Path: p, Value: lwm2m.FloatValue(f)}})
		if err != nil || !strings.Contains(string(out), `"v":`+want+`}`) {
			t.Errorf("%v: got %s (%v), want v %s", f, out, err, want)
		}
	}
}

func TestDecodeErrorsNameOffsetAndPath(t *testing.T) {
	data := []byte(`{"bn":"/3/0/","e":[{"n":"9","sv":"full"}]}`)
	_, err := New().DecodeRecords(lwm2m.MustPath("/3/0"), data, models)
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a *codec.DecodeError", err)
	}
	if de.Offset != strings.Index(string(data), `"full"`) || !de.HasPath || de.Path != lwm2m.MustPath("/3/0/9") {
		t.Fatalf("error %q: offset %d path %s", err, de.Offset, de.Path)
	}
	want := `lwm2m-json: offset 33: /3/0/9: "full" is not an integer`
	if err.Error() != want {
		t.Fatalf("got  %q\nwant %q", err, want)
	}
}

// Decoding allocates in proportion to what it keeps, not to the payload
// size once per string: many escaped strings in a large payload stay cheap.
func TestEscapedStringsDoNotAllocateQuadratically(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"bn":"/65001/0/","e":[`)
	const n = 5000
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"n":"0/`)
		b.WriteString(strings.Repeat("1", 1+i%4))
		b.WriteString(`","sv":"a\nb"}`)
	}
	b.WriteString(`]}`)
	data := []byte(b.String())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := New().DecodeRecords(lwm2m.MustPath("/65001/0"), data, nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, codec.ErrMalformed) { // the duplicate names are refused, after parsing everything
		t.Fatalf("got %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64*uint64(len(data)) {
		t.Fatalf("decoding %d bytes allocated %d bytes", len(data), grew)
	}
}
