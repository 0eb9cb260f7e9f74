package dm_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

func u32(v uint32) *uint32 { return &v }

// telemetryProfile observes the temperature (and, for composite
// strategies, the battery level) and maps them to keys.
func telemetryProfile(name string, strategy models.ObserveStrategy) models.Profile {
	return models.Profile{Name: name, Spec: models.ProfileSpec{
		Observe: models.ObserveSpec{Strategy: strategy, Targets: []models.ObserveTarget{
			{Path: lwm2m.MustPath("/3303/0/5700"), Attributes: lwm2m.Attributes{Pmax: u32(3600)}},
			{Path: lwm2m.MustPath("/3/0/9")},
			{Path: lwm2m.MustPath("/3/0/10")},
		}},
		Telemetry:  []models.PathMapping{{Path: lwm2m.MustPath("/3303/0/5700"), Name: "temperature"}, {Path: lwm2m.MustPath("/3/0/9"), Name: "battery"}},
		Attributes: []models.PathMapping{{Path: lwm2m.MustPath("/3/0/10"), Name: "memory_free"}},
	}}
}

// TestProfileObservesAndMapsTelemetry: on registration the profile's
// attributes are written and its observations established with each
// strategy; notifications become telemetry points and named attributes,
// stored and published live.
func TestProfileObservesAndMapsTelemetry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		ctx := context.Background()
		for i, strategy := range []models.ObserveStrategy{models.ObserveSingle, models.ObserveCompositeAll, models.ObserveCompositePerObject} {
			t.Run(string(strategy), func(t *testing.T) {
				prof, err := e.svc.CreateProfile(ctx, dm.System(), telemetryProfile("p-"+string(strategy), strategy))
				if err != nil {
					t.Fatal(err)
				}
				ep := "tele-" + string(strategy)
				live, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: ep, Types: []string{"telemetry", "profile.applied"}})
				defer cancel()
				dev, _ := e.pskDevice(t, ep, dm.DeviceInput{Profile: prof.Name}, nil)
				applied := waitEvent(t, live, "profile.applied")
				var out struct {
					Profile string
					Steps   []struct{ Op, Code, Error string }
				}
				if err := json.Unmarshal(applied.Data, &out); err != nil {
					t.Fatal(err)
				}
				wantSteps := [...]int{5, 3, 4}[i] // write-attributes, the observations, the read of /3/0
				if out.Profile != prof.Name || len(out.Steps) != wantSteps {
					t.Fatalf("applied %s", applied.Data)
				}
				for _, s := range out.Steps {
					if s.Error != "" || s.Code[0] != '2' {
						t.Fatalf("step %+v failed: %s", s, applied.Data)
					}
				}
				if got := dev.c.Attributes(lwm2m.MustPath("/3303/0/5700")); got.Pmax == nil || *got.Pmax != 3600 {
					t.Fatalf("attributes on the device: %+v", got)
				}
				waitFor(t, "observations on the device", func() bool { return dev.c.Status().Observations == [...]int{3, 1, 2}[i] })

				before := time.Now()
				if err := dev.c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(21.5+float64(i))); err != nil {
					t.Fatal(err)
				}
				var ev models.Event
				for {
					ev = waitEvent(t, live, "telemetry")
					var d struct{ Points []models.TelemetryPoint }
					json.Unmarshal(ev.Data, &d)
					if len(d.Points) > 0 && d.Points[0].Key == "temperature" && d.Points[0].Value.Float() == 21.5+float64(i) {
						break
					}
				}
				var series []dm.TelemetrySeries
				waitFor(t, "the point stored", func() bool {
					series, err = e.svc.Telemetry(ctx, dm.System(), ep, dm.TelemetryRequest{Keys: []string{"temperature"}, From: before.Add(-time.Second)})
					return err == nil && len(series) == 1 && len(series[0].Points) > 0 &&
						series[0].Points[len(series[0].Points)-1].Value.Float() == 21.5+float64(i)
				})
				if p := series[0].Points[len(series[0].Points)-1]; p.Value.Type() != lwm2m.TypeFloat {
					t.Fatalf("point %+v lost its type", p)
				}
				attrs, err := e.svc.Attributes(ctx, dm.System(), ep)
				if err != nil {
					t.Fatal(err)
				}
				named := false
				for _, a := range attrs {
					if a.Path == lwm2m.MustPath("/3/0/10") && a.Key == "memory_free" && a.Value.Type() == lwm2m.TypeInteger {
						named = true
					}
				}
				if !named {
					t.Fatalf("attributes %+v: no memory_free", attrs)
				}
				agg, err := e.svc.Telemetry(ctx, dm.System(), ep, dm.TelemetryRequest{Keys: []string{"temperature"}, Interval: time.Hour, Agg: models.AggMax})
				if err != nil || len(agg) != 1 || len(agg[0].Buckets) == 0 {
					t.Fatalf("downsampled: %v %+v", err, agg)
				}
			})
		}
	})
}

// TestSendIsIngested: values a device pushes with Send are mapped too.
func TestSendIsIngested(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	prof, err := e.svc.CreateProfile(ctx, dm.System(), models.Profile{Name: "send", Spec: models.ProfileSpec{
		Telemetry: []models.PathMapping{{Path: lwm2m.MustPath("/3303/0/5700"), Name: "t"}}}})
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := e.pskDevice(t, "sender", dm.DeviceInput{Profile: prof.Name}, nil)
	e.waitStatus(t, "sender", models.StatusOnline)
	dev.c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(30.25))
	if err := dev.c.SendNow(ctx, lwm2m.MustPath("/3303/0/5700"), lwm2m.MustPath("/3/0/9")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sent value stored", func() bool {
		s, err := e.svc.Telemetry(ctx, dm.System(), "sender", dm.TelemetryRequest{Keys: []string{"t"}})
		return err == nil && len(s) == 1 && s[0].Points[0].Value.Float() == 30.25
	})
}
