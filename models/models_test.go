package models

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

func TestDurationJSON(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`"90s"`: 90 * time.Second, `"1h30m"`: 90 * time.Minute, `30`: 30 * time.Second, `0.5`: 500 * time.Millisecond,
	} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if d.D() != want {
			t.Errorf("%s = %v, want %v", in, d.D(), want)
		}
	}
	for _, bad := range []string{`"soon"`, `true`, `"`, `1e300`, `NaN`} {
		var d Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	b, _ := json.Marshal(Duration(2 * time.Minute))
	if string(b) != `"2m0s"` {
		t.Errorf("marshal = %s", b)
	}
}

func TestProfileSpecRoundTrip(t *testing.T) {
	pmax := uint32(300)
	f := lwm2m.FormatSenMLCBOR
	spec := ProfileSpec{
		Observe: ObserveSpec{Strategy: ObserveCompositePerObject, Targets: []ObserveTarget{
			{Path: lwm2m.MustPath("/3303/0/5700"), Attributes: lwm2m.Attributes{Pmax: &pmax}},
		}},
		Telemetry:      []PathMapping{{Path: lwm2m.MustPath("/3303/0/5700"), Name: "temperature"}},
		Attributes:     []PathMapping{{Path: lwm2m.MustPath("/3/0/3"), Name: "firmware"}},
		Format:         &f,
		AwakeWindow:    Duration(30 * time.Second),
		Retry:          RetryPolicy{MaxAttempts: 3, Backoff: Duration(time.Minute), Multiplier: 2},
		CommandExpiry:  Duration(24 * time.Hour),
		TargetFirmware: &FirmwareTarget{Version: "1.2.3"},
	}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var back ProfileSpec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(spec, back) {
		t.Errorf("round trip changed the spec:\n%s\n%+v", b, back)
	}
}

func TestCommandStateTerminal(t *testing.T) {
	for s, want := range map[CommandState]bool{
		CommandPending: false, CommandSent: false, CommandSucceeded: true,
		CommandFailed: true, CommandExpired: true, CommandCancelled: true,
	} {
		if s.Terminal() != want {
			t.Errorf("%s.Terminal() = %v", s, !want)
		}
	}
}
