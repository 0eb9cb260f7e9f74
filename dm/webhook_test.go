package dm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
	"github.com/shoal-iot/shoal/webhook"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata golden files")

// goldenSecret keys the golden signature. The golden signature file was
// checked with: openssl dgst -sha256 -hmac golden-secret-0123456789 \
// testdata/webhook/event.golden.json
const goldenSecret = "golden-secret-0123456789"

func goldenEvent() models.Event {
	return models.Event{ID: 4711, Time: time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC), DeviceID: 12, Endpoint: "meter-12",
		CustomerID: 3, Category: models.CategoryAlarm, Type: dm.EventAlarmRaised, Actor: "system",
		Data: json.RawMessage(`{"id":9,"device_id":12,"rule":"5","type":"threshold","severity":"major","state":"active","count":1}`)}
}

func golden(t *testing.T, path string, got []byte) []byte {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// TestWebhookBodyAndSignatureGolden pins the body POSTed for an event and
// its signature: receivers verify against exactly these bytes.
func TestWebhookBodyAndSignatureGolden(t *testing.T) {
	body, err := dm.WebhookBody(goldenEvent())
	if err != nil {
		t.Fatal(err)
	}
	if want := golden(t, "testdata/webhook/event.golden.json", body); !bytes.Equal(body, want) {
		t.Errorf("body changed:\n%s\nwant\n%s", body, want)
	}
	sig := dm.SignWebhook(goldenSecret, body)
	if want := golden(t, "testdata/webhook/signature.golden", []byte(sig+"\n")); sig+"\n" != string(want) {
		t.Errorf("signature %s, want %s", sig, want)
	}
	if err := dm.VerifyWebhookSignature(goldenSecret, body, sig); err != nil {
		t.Errorf("own signature: %v", err)
	}
	for _, bad := range []string{"", "sha1=" + sig[7:], "sha256=" + sig[7:70], "sha256=" + strings.Repeat("g", 64),
		"sha256=" + strings.Repeat("0", 64), dm.SignWebhook("other-secret-0123456789", body)} {
		if err := dm.VerifyWebhookSignature(goldenSecret, body, bad); !errors.Is(err, dm.ErrBadSignature) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := dm.VerifyWebhookSignature(goldenSecret, append(body, ' '), sig); !errors.Is(err, dm.ErrBadSignature) {
		t.Errorf("a changed body verified: %v", err)
	}
}

// FuzzVerifyWebhookSignature: any header either verifies (only the true
// signature) or fails with ErrBadSignature; never a panic.
func FuzzVerifyWebhookSignature(f *testing.F) {
	body, _ := os.ReadFile("testdata/webhook/event.golden.json")
	sig, _ := os.ReadFile("testdata/webhook/signature.golden")
	f.Add(body, string(bytes.TrimSpace(sig)))
	f.Add(body, "sha256=")
	f.Add([]byte("{}"), "sha256=zz")
	f.Add([]byte(nil), "")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := dm.VerifyWebhookSignature(goldenSecret, body, header)
		want := dm.SignWebhook(goldenSecret, body)
		switch {
		case err == nil && strings.TrimSpace(header) != want && !strings.EqualFold(strings.TrimSpace(header), want):
			t.Fatalf("%q verified for %q", header, body)
		case err != nil && !errors.Is(err, dm.ErrBadSignature):
			t.Fatalf("error %v does not wrap ErrBadSignature", err)
		}
	})
}

// TestWebhookQueueNeverBlocks: with a receiver that hangs and a queue of
// one, recording events goes on; deliveries that do not fit are dropped
// and counted; the rest arrive once the receiver answers.
func TestWebhookQueueNeverBlocks(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, storetest.SQLite(), envOpts{dm: func(c *dm.Config) {
		c.Registerer = reg
		c.Webhooks = dm.WebhookConfig{Queue: 1, Workers: 1, Sweep: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	}})
	release := make(chan struct{})
	arrived := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		arrived <- r.Header.Get(dm.HeaderEventID)
	}))
	defer srv.Close()
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open()
	wc, err := webhook.New(webhook.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.SetWebhookTransport(wc)
	ctx := context.Background()
	sys := dm.System()
	ch, secret, err := e.svc.CreateWebhook(ctx, sys, dm.WebhookInput{URL: srv.URL, EventTypes: []string{"customer.created"}})
	if err != nil || !strings.HasPrefix(secret, "whsec_") || ch.Secret != secret {
		t.Fatalf("create: %+v %q %v", ch, secret, err)
	}
	for i := range 20 {
		if _, err := e.svc.CreateCustomer(ctx, sys, models.Customer{Name: "c" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	dropped := metric(t, reg, "shoal_webhook_dropped_total")
	if dropped < 1 || dropped > 19 {
		t.Fatalf("dropped %v of 20 with one worker and a queue of one", dropped)
	}
	open()
	waitFor(t, "deliveries after the receiver answers", func() bool {
		pg, err := e.svc.ListDeliveries(ctx, sys, ch.ID, []models.DeliveryState{models.DeliverySucceeded}, dm.PageRequest{})
		return err == nil && pg.Total == int64(20-dropped)
	})
}

// metric reads a counter or gauge from the registry.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			m := mf.GetMetric()[0]
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
