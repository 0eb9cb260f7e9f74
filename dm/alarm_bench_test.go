package dm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// BenchmarkIngestAlarmRules measures a notification's trip through dm's
// ingest loop (mapping, batched telemetry write, live event) with no
// alarm rules and with threshold rules that watch the value without
// firing: the cost alarm evaluation adds to ingestion.
func BenchmarkIngestAlarmRules(b *testing.B) {
	for _, rules := range []int{0, 10} {
		b.Run(fmt.Sprintf("rules=%d", rules), func(b *testing.B) { benchIngest(b, rules) })
	}
}

func benchIngest(b *testing.B, rules int) {
	bk := storetest.SQLite()
	st := openStoreTB(b, bk, bk.NewDSN(b))
	defer st.Close()
	w, err := storage.NewTelemetryWriter(st.Telemetry(), storage.WriterConfig{}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	svc, err := dm.New(dm.Config{}, stores(st, w), objects.New(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-svc.Running()
	sys := dm.System()
	prof := models.Profile{Name: "bench", Spec: models.ProfileSpec{
		Telemetry: []models.PathMapping{{Path: lwm2m.MustPath("/3/0/9"), Name: "battery"}}}}
	if _, err := svc.CreateProfile(ctx, sys, prof); err != nil {
		b.Fatal(err)
	}
	for _, ep := range []string{"bench-dev", "bench-end"} {
		if _, err := svc.CreateDevice(ctx, sys, dm.DeviceInput{Endpoint: ep, Profile: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range rules {
		below := float64(i)
		if _, err := svc.CreateAlarmRule(ctx, sys, dm.AlarmRuleInput{Name: fmt.Sprint("r", i), Profile: "bench", Severity: models.SeverityInfo,
			Spec: models.AlarmRuleSpec{Kind: models.RuleThreshold, Key: "battery", Below: &below}}); err != nil {
			b.Fatal(err)
		}
	}
	end, stop := subscribe(b, svc, dm.EventFilter{Endpoint: "bench-end", Types: []string{"telemetry"}})
	defer stop()
	l := svc.Listener()
	note := func(ep string, v int64) server.Notification {
		p := lwm2m.MustPath("/3/0/9")
		return server.Notification{Endpoint: ep, Records: []lwm2m.Record{{Path: p, Value: lwm2m.IntValue(v)}}, ReceivedAt: time.Now()}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l.Notification(note("bench-dev", int64(50+i%40)))
	}
	// The ingest loop is FIFO: when the last device's value is out, all
	// are; the wait is timed, so ns/op is the loop's throughput.
	l.Notification(note("bench-end", 1))
	select {
	case <-end.C:
	case <-time.After(time.Minute):
		b.Fatal("the ingest loop did not drain")
	}
	b.StopTimer()
}
