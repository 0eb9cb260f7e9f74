package models

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// goldenSpec is the profile spec pinned by testdata/profile_spec.golden.json:
// stores keep this JSON, so changing its shape breaks stored profiles.
func goldenSpec() ProfileSpec {
	pmin, pmax, gt := uint32(10), uint32(300), 25.5
	f := lwm2m.FormatSenMLCBOR
	return ProfileSpec{
		Observe: ObserveSpec{Strategy: ObserveCompositePerObject, Targets: []ObserveTarget{
			{Path: lwm2m.MustPath("/3303/0/5700"), Attributes: lwm2m.Attributes{Pmin: &pmin, Pmax: &pmax, Gt: &gt}},
			{Path: lwm2m.MustPath("/3/0/9")},
		}},
		Telemetry:      []PathMapping{{Path: lwm2m.MustPath("/3303/0/5700"), Name: "temperature"}},
		Attributes:     []PathMapping{{Path: lwm2m.MustPath("/3/0/3"), Name: "firmware_version"}},
		Format:         &f,
		AwakeWindow:    Duration(20 * time.Second),
		Retry:          RetryPolicy{MaxAttempts: 5, Backoff: Duration(time.Minute), Multiplier: 2, MaxBackoff: Duration(time.Hour)},
		CommandExpiry:  Duration(48 * time.Hour),
		TargetFirmware: &FirmwareTarget{Version: "2.1.0", ImageID: 7},
	}
}

func TestProfileSpecGolden(t *testing.T) {
	const path = "testdata/profile_spec.golden.json"
	got, err := json.MarshalIndent(goldenSpec(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the stored form of ProfileSpec changed:\n%s\nwant\n%s", got, want)
	}
	var back ProfileSpec
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, goldenSpec()) {
		t.Errorf("golden file decodes to %+v", back)
	}
}

// FuzzProfileSpecJSON: any input decodes to a spec or an error, and a spec
// that decodes re-encodes to JSON that decodes to the same spec.
func FuzzProfileSpecJSON(f *testing.F) {
	if b, err := os.ReadFile("testdata/profile_spec.golden.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"awake_window": 30, "retry": {"backoff": "1m"}}`))
	f.Add([]byte(`{"observe": {"targets": [{"path": "/3/0/99999"}]}}`))
	f.Add([]byte(`{"format": "bogus"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s ProfileSpec
		if json.Unmarshal(b, &s) != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			return // e.g. a NaN threshold has no JSON form
		}
		var again ProfileSpec
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-encoded spec %s does not decode: %v", out, err)
		}
	})
}

func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"90s"`, `30`, `0.5`, `null`, `"`, `1e400`, `"-1h"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if d.UnmarshalJSON(b) != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := json.Unmarshal(out, &back); err != nil || back != d {
			t.Fatalf("%s → %v → %s → %v, %v", b, d.D(), out, back.D(), err)
		}
	})
}
