package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

type profileJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Spec struct {
		Observe struct {
			Strategy string `json:"strategy"`
			Targets  []struct {
				Path       string         `json:"path"`
				Attributes map[string]any `json:"attributes"`
			} `json:"targets"`
		} `json:"observe"`
		Telemetry []struct {
			Path string `json:"path"`
			Name string `json:"name"`
		} `json:"telemetry"`
		Format        string `json:"format"`
		AwakeWindow   string `json:"awake_window"`
		CommandExpiry string `json:"command_expiry"`
	} `json:"spec"`
}

var meterProfile = map[string]any{
	"name": "meter",
	"spec": map[string]any{
		"observe": map[string]any{"strategy": "single", "targets": []any{
			map[string]any{"path": "/3/0/9", "attributes": map[string]any{"pmin": 0, "pmax": 300}},
		}},
		"telemetry":      []any{map[string]any{"path": "/3/0/9", "name": "battery"}},
		"attributes":     []any{map[string]any{"path": "/3/0/0", "name": "manufacturer"}},
		"format":         "senml-cbor",
		"awake_window":   "30s",
		"retry":          map[string]any{"max_attempts": 4, "backoff": "10s", "multiplier": 2},
		"command_expiry": "1h",
	},
}

func TestProfiles(t *testing.T) {
	e := newEnv(t, envOpts{})
	var p profileJSON
	r := e.do("POST", "/api/v1/profiles", meterProfile).want(t, 201)
	r.json(t, &p)
	if p.ID == 0 || p.Spec.Telemetry[0].Name != "battery" || p.Spec.Format != "senml-cbor" ||
		p.Spec.AwakeWindow != "30s" || p.Spec.CommandExpiry != "1h0m0s" || p.Spec.Observe.Targets[0].Attributes["pmax"] != float64(300) {
		t.Fatalf("created profile: %+v", p)
	}
	if r.header.Get("Location") != fmt.Sprintf("/api/v1/profiles/%d", p.ID) {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	var byName, byID profileJSON
	e.do("GET", "/api/v1/profiles/meter", nil).want(t, 200).json(t, &byName)
	e.do("GET", fmt.Sprintf("/api/v1/profiles/%d", p.ID), nil).want(t, 200).json(t, &byID)
	if byName.ID != p.ID || byID.Name != "meter" {
		t.Fatalf("get by name %+v, by id %+v", byName, byID)
	}
	var list struct {
		Items []profileJSON `json:"items"`
		Total int64         `json:"total"`
	}
	e.do("GET", "/api/v1/profiles", nil).want(t, 200).json(t, &list)
	if list.Total != 1 {
		t.Fatalf("list: %+v", list)
	}
	e.do("POST", "/api/v1/profiles", meterProfile).want(t, 409).problem(t)

	upd := map[string]any{"name": "meter", "description": "v2", "spec": map[string]any{"awake_window": "1m"}}
	var updated profileJSON
	e.do("PUT", "/api/v1/profiles/meter", upd).want(t, 200).json(t, &updated)
	if updated.Spec.AwakeWindow != "1m0s" || len(updated.Spec.Telemetry) != 0 {
		t.Fatalf("updated: %+v", updated)
	}

	// A profile in use cannot go.
	var dev deviceJSON
	var created struct {
		Device deviceJSON `json:"device"`
	}
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "with-profile", "profile": "meter"}).want(t, 201).json(t, &created)
	dev = created.Device
	if dev.Profile != "meter" {
		t.Fatalf("device profile %q", dev.Profile)
	}
	var byProfile devicePage
	e.do("GET", "/api/v1/devices?profile=meter", nil).want(t, 200).json(t, &byProfile)
	if byProfile.Total != 1 {
		t.Fatalf("devices of profile meter: %+v", byProfile)
	}
	e.do("DELETE", "/api/v1/profiles/meter", nil).want(t, 409).problem(t)
	e.do("PATCH", "/api/v1/devices/with-profile", map[string]any{"profile": nil}).want(t, 200)
	e.do("DELETE", "/api/v1/profiles/meter", nil).want(t, 204)
	e.do("GET", "/api/v1/profiles/meter", nil).want(t, 404).problem(t)

	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": ""}, "name"},
		{map[string]any{"name": "42"}, "name"},
		{map[string]any{"name": "x", "spec": map[string]any{"telemetry": []any{map[string]any{"path": "3/0/9", "name": "b"}}}}, "spec.telemetry[0].path"},
		{map[string]any{"name": "x", "spec": map[string]any{"telemetry": []any{map[string]any{"path": "/3/0", "name": "b"}}}}, "spec.telemetry[0].path"},
		{map[string]any{"name": "x", "spec": map[string]any{"observe": map[string]any{"strategy": "sometimes"}}}, "spec.observe.strategy"},
		{map[string]any{"name": "x", "spec": map[string]any{"observe": map[string]any{"targets": []any{map[string]any{"path": "/3/0/9", "attributes": map[string]any{"pmin": "soon"}}}}}}, "spec.observe.targets[0].attributes.pmin"},
		{map[string]any{"name": "x", "spec": map[string]any{"awake_window": "long"}}, "spec.awake_window"},
		{map[string]any{"name": "x", "spec": map[string]any{"format": "morse"}}, "spec.format"},
		{map[string]any{"name": "x", "spec": map[string]any{"retry": map[string]any{"backoff": "-1s"}}}, "spec.retry.backoff"},
	} {
		pr := e.do("POST", "/api/v1/profiles", c.body).want(t, 400).problem(t)
		if pr["field"] != c.field {
			t.Errorf("%v: field %v, want %s (%v)", c.body, pr["field"], c.field, pr["detail"])
		}
	}
}

// TestTelemetryAndAttributes: a device with a profile is observed on
// registration; its notifications become telemetry (through the API and
// the SSE stream), its /3/0 read attributes, its status changes events.
func TestTelemetryAndAttributes(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.do("POST", "/api/v1/profiles", meterProfile).want(t, 201)
	stream := e.openStream("?device=tele-1&category=telemetry")
	d := e.startDeviceWith("tele-1", map[string]any{"profile": "meter"}, nil)
	e.waitStatus("tele-1", "online")
	base := "/api/v1/devices/tele-1"

	var attrs struct {
		Items []struct {
			Path  string `json:"path"`
			Key   string `json:"key"`
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	waitFor(t, "the manufacturer attribute", func() bool {
		e.do("GET", base+"/attributes", nil).want(t, 200).json(t, &attrs)
		for _, a := range attrs.Items {
			if a.Path == "/3/0/0" && a.Key == "manufacturer" && a.Value == "Shoal" {
				return true
			}
		}
		return false
	})

	// The profile's observation of /3/0/9 feeds the battery series.
	waitFor(t, "the observation established", func() bool {
		return d.c.Attributes(lwm2m.MustPath("/3/0/9")).Pmax != nil
	})
	if err := d.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(55)); err != nil {
		t.Fatal(err)
	}
	for {
		ev := stream.next(t, false).decode(t)
		if ev.Type == "telemetry" && strings.Contains(string(ev.Data), `"battery"`) && strings.Contains(string(ev.Data), "55") {
			break
		}
	}
	type series struct {
		Key    string `json:"key"`
		Points []struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"points"`
		Buckets []struct {
			Value any   `json:"value"`
			Count int64 `json:"count"`
		} `json:"buckets"`
	}
	var tel struct {
		Endpoint string   `json:"endpoint"`
		Series   []series `json:"series"`
	}
	waitFor(t, "the battery point stored", func() bool {
		e.do("GET", base+"/telemetry?keys=battery&from=-1h", nil).want(t, 200).json(t, &tel)
		if len(tel.Series) != 1 {
			return false
		}
		pts := tel.Series[0].Points
		return len(pts) > 0 && pts[len(pts)-1].Value == float64(55) && pts[len(pts)-1].Type == "integer"
	})
	var agg struct {
		Series []series `json:"series"`
	}
	e.do("GET", base+"/telemetry?keys=battery&interval=1h&agg=last&to="+url.QueryEscape("2100-01-01T00:00:00Z"), nil).want(t, 200).json(t, &agg)
	if len(agg.Series) != 1 || len(agg.Series[0].Buckets) == 0 || agg.Series[0].Buckets[len(agg.Series[0].Buckets)-1].Value != float64(55) {
		t.Fatalf("downsampled: %+v", agg)
	}
	for q, field := range map[string]string{
		"agg=median&interval=1m": "agg", "agg=max": "agg", "from=yesterday": "from",
		"interval=1ms": "interval", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z": "to",
	} {
		if p := e.do("GET", base+"/telemetry?"+q, nil).want(t, 400).problem(t); p["field"] != field {
			t.Errorf("%s: %v", q, p)
		}
	}
	e.do("GET", "/api/v1/devices/ghost/telemetry", nil).want(t, 404)
	e.do("GET", "/api/v1/devices/ghost/attributes", nil).want(t, 404)

	var evs struct {
		Items []eventJSON `json:"items"`
	}
	e.do("GET", base+"/events?type=status", nil).want(t, 200).json(t, &evs)
	if len(evs.Items) == 0 || evs.Items[0].Type != "status" {
		t.Fatalf("status events: %+v", evs)
	}
	e.do("GET", "/api/v1/devices/ghost/events", nil).want(t, 404)
}
