package storetest

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

func testWebhooks(t *testing.T, b Backend) {
	ctx := t.Context()
	dsn := b.NewDSN(t)
	st := b.Open(t, dsn)
	wh := st.Webhooks()
	cust := models.Customer{Name: "acme"}
	must(t, st.Customers().Create(ctx, &cust))
	c := models.WebhookChannel{Name: "ops", URL: "https://127.0.0.1:9/hook", Secret: "s3cret",
		EventTypes: []string{"alarm.raised", "expired"}, AlarmTypes: []string{"threshold"}}
	must(t, wh.Create(ctx, &c))
	got, err := wh.Get(ctx, c.ID)
	must(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("Get = %+v\nwant %+v", got, c)
	}
	mine := models.WebhookChannel{Name: "acme", URL: "http://127.0.0.1:9/", Secret: "k", CustomerID: cust.ID}
	must(t, wh.Create(ctx, &mine))
	if mine.EventTypes == nil || mine.AlarmTypes == nil {
		t.Errorf("nil type lists kept: %+v", mine)
	}
	pg, err := wh.List(ctx, cust.ID, dm.PageRequest{})
	must(t, err)
	if pg.Total != 1 || pg.Items[0].ID != mine.ID || pg.Items[0].Secret != "k" {
		t.Errorf("customer's channels %+v", pg.Items)
	}
	// An update without a secret keeps the stored one.
	c.Secret, c.Disabled, c.EventTypes = "", true, []string{"*"}
	must(t, wh.Update(ctx, &c))
	got, err = wh.Get(ctx, c.ID)
	must(t, err)
	if got.Secret != "s3cret" || !got.Disabled || !reflect.DeepEqual(got.EventTypes, []string{"*"}) {
		t.Errorf("after update %+v", got)
	}
	// The secret is sealed: another key cannot read it.
	st.Close()
	other := b.Open(t, dsn, func(o *storage.Options) { o.SecretKey = bytes.Repeat([]byte{0x42}, 32) })
	_, err = other.Webhooks().Get(ctx, c.ID)
	wantErr(t, err, storage.ErrSecretKey, "reading a secret with another key")
	other.Close()
	st = b.Open(t, dsn)
	wh = st.Webhooks()

	// Deliveries go with their channel; a customer's channels with it.
	d := models.WebhookDelivery{ChannelID: c.ID, EventID: 7, EventType: "expired", Payload: []byte(`{}`), MaxAttempts: 3, NextAttemptAt: T0}
	must(t, st.Deliveries().Create(ctx, &d))
	must(t, wh.Delete(ctx, c.ID))
	_, err = st.Deliveries().Get(ctx, d.ID)
	wantErr(t, err, dm.ErrNotFound, "a deleted channel's delivery")
	must(t, st.Customers().Delete(ctx, cust.ID))
	_, err = wh.Get(ctx, mine.ID)
	wantErr(t, err, dm.ErrNotFound, "a deleted customer's channel")
	wantErr(t, wh.Create(ctx, &models.WebhookChannel{Name: "x"}), dm.ErrInvalid, "no url")
	wantErr(t, wh.Create(ctx, &models.WebhookChannel{URL: "http://127.0.0.1/", CustomerID: 9999}), dm.ErrInvalid, "an unknown customer")
}

func testDeliveries(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	ch := models.WebhookChannel{URL: "http://127.0.0.1:9/"}
	must(t, st.Webhooks().Create(ctx, &ch))
	ds := st.Deliveries()
	var made []models.WebhookDelivery
	for i := range 3 {
		d := models.WebhookDelivery{ChannelID: ch.ID, EventID: int64(10 + i), EventType: "registered",
			Payload: []byte(`{"n":` + string(rune('0'+i)) + `}`), MaxAttempts: 5, NextAttemptAt: T0.Add(time.Duration(i) * time.Second)}
		must(t, ds.Create(ctx, &d))
		made = append(made, d)
	}
	got, err := ds.Get(ctx, made[0].ID)
	must(t, err)
	if !reflect.DeepEqual(got, made[0]) || got.State != models.DeliveryPending {
		t.Errorf("Get = %+v\nwant %+v", got, made[0])
	}
	due, err := ds.Due(ctx, T0.Add(time.Second), 10)
	must(t, err)
	if len(due) != 2 || due[0].ID != made[0].ID || due[1].ID != made[1].ID {
		t.Fatalf("due %+v", due)
	}
	// Claiming moves the next attempt: a second claim of the same row fails.
	ok, err := ds.Claim(ctx, due[0], T0.Add(time.Minute))
	must(t, err)
	again, err := ds.Claim(ctx, due[0], T0.Add(time.Minute))
	must(t, err)
	if !ok || again {
		t.Errorf("claims: first %v, second %v", ok, again)
	}
	due, err = ds.Due(ctx, T0.Add(time.Second), 10)
	must(t, err)
	if len(due) != 1 || due[0].ID != made[1].ID {
		t.Errorf("due after a claim %+v", due)
	}
	d := made[0]
	d.State, d.Attempts, d.StatusCode, d.Error, d.NextAttemptAt = models.DeliverySucceeded, 2, 204, "", time.Time{}
	must(t, ds.Update(ctx, &d))
	f := made[1]
	f.State, f.Attempts, f.StatusCode, f.Error, f.NextAttemptAt = models.DeliveryFailed, 5, 500, "HTTP 500", time.Time{}
	must(t, ds.Update(ctx, &f))
	pg, err := ds.List(ctx, ch.ID, nil, dm.PageRequest{})
	must(t, err)
	if pg.Total != 3 || pg.Items[0].ID != made[2].ID {
		t.Errorf("log %+v", pg.Items)
	}
	pg, err = ds.List(ctx, ch.ID, []models.DeliveryState{models.DeliveryFailed}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 1 || pg.Items[0].StatusCode != 500 || pg.Items[0].Error != "HTTP 500" || pg.Items[0].Attempts != 5 {
		t.Errorf("failed deliveries %+v", pg.Items)
	}
	due, err = ds.Due(ctx, T0.Add(time.Hour), 10)
	must(t, err)
	if len(due) != 1 || due[0].ID != made[2].ID {
		t.Errorf("due at the end %+v", due)
	}
	wantErr(t, ds.Create(ctx, &models.WebhookDelivery{ChannelID: 9999, EventType: "x", Payload: []byte("{}")}), dm.ErrInvalid, "an unknown channel")
	wantErr(t, ds.Update(ctx, &models.WebhookDelivery{ID: 9999, State: models.DeliveryFailed}), dm.ErrNotFound, "update a missing delivery")
}
