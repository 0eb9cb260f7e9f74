package models

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
)

// goldenRuleSpecs are the rule specs pinned by
// testdata/alarm_rule_specs.golden.json: stores keep this JSON.
func goldenRuleSpecs() []AlarmRuleSpec {
	below, above := 20.0, 45.5
	return []AlarmRuleSpec{
		{Kind: RuleThreshold, Key: "battery", Below: &below, For: Duration(5 * time.Minute)},
		{Kind: RuleThreshold, Key: "temperature", Above: &above},
		{Kind: RuleOffline, For: Duration(time.Hour)},
		{Kind: RuleFirmwareFailed},
		{Kind: RuleAuthFailures, Count: 5, Window: Duration(10 * time.Minute)},
	}
}

func TestAlarmRuleSpecGolden(t *testing.T) {
	const path = "testdata/alarm_rule_specs.golden.json"
	got, err := json.MarshalIndent(goldenRuleSpecs(), "", "  ")
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
		t.Errorf("the stored form of AlarmRuleSpec changed:\n%s\nwant\n%s", got, want)
	}
	var back []AlarmRuleSpec
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, goldenRuleSpecs()) {
		t.Errorf("golden file decodes to %+v", back)
	}
}

// FuzzAlarmRuleSpecJSON: any input decodes to a spec or an error, and a
// decoded spec survives a round trip.
func FuzzAlarmRuleSpecJSON(f *testing.F) {
	if b, err := os.ReadFile("testdata/alarm_rule_specs.golden.json"); err == nil {
		var specs []json.RawMessage
		if json.Unmarshal(b, &specs) == nil {
			for _, s := range specs {
				f.Add([]byte(s))
			}
		}
	}
	f.Add([]byte(`{"kind": "threshold", "for": "x"}`))
	f.Add([]byte(`{"kind": "offline", "for": 1e300}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s AlarmRuleSpec
		if json.Unmarshal(b, &s) != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			return
		}
		var again AlarmRuleSpec
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-encoded spec %s does not decode: %v", out, err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed %+v into %+v", s, again)
		}
	})
}
