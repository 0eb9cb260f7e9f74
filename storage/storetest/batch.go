package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// testWriteBatch: statuses and events of one batch land together, in
// order, with increasing event ids; a batch with a missing device or bad
// event stores nothing.
func testWriteBatch(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	a, c := newDevice(t, st, "batch-a"), newDevice(t, st, "batch-c")
	sts := []dm.StatusChange{
		{DeviceID: a, Status: models.StatusOnline, LastSeen: T0},
		{DeviceID: c, Status: models.StatusAsleep},
		{DeviceID: a, Status: models.StatusOffline}, // later in the batch wins; last-seen kept
	}
	var evs []*models.Event
	for i := range 5 {
		evs = append(evs, &models.Event{Time: T0.Add(time.Duration(i) * time.Second), DeviceID: a, Endpoint: "batch-a",
			Category: models.CategoryRegistration, Type: "status", Data: json.RawMessage(`{"i":` + string(rune('0'+i)) + `}`)})
	}
	evs = append(evs, &models.Event{Category: models.CategorySecurity, Type: "refused"}) // no device, no time
	must(t, st.WriteBatch(ctx, sts, evs))
	for i, e := range evs {
		if e.ID == 0 || i > 0 && e.ID <= evs[i-1].ID {
			t.Fatalf("event %d: id %d (previous %d): want increasing ids", i, e.ID, evs[max(i-1, 0)].ID)
		}
	}
	if evs[5].Time.IsZero() {
		t.Error("an event without a time got none")
	}
	da, err := st.Devices().Get(ctx, a)
	must(t, err)
	if da.Status != models.StatusOffline {
		t.Errorf("device a status %q, want offline", da.Status)
	}
	sameTime(t, "device a last seen", da.LastSeen, T0)
	dc, err := st.Devices().Get(ctx, c)
	must(t, err)
	if dc.Status != models.StatusAsleep {
		t.Errorf("device c status %q, want asleep", dc.Status)
	}
	pg, err := st.Events().List(ctx, dm.EventFilter{}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 6 || pg.Items[0].ID != evs[5].ID || pg.Items[5].ID != evs[0].ID || string(pg.Items[5].Data) != `{"i":0}` {
		t.Fatalf("stored events: total %d, newest %d (want %d), oldest %d %s", pg.Total, pg.Items[0].ID, evs[5].ID, pg.Items[5].ID, pg.Items[5].Data)
	}

	// All or nothing: a missing device in the middle keeps the first
	// status and the events out.
	bad := []dm.StatusChange{{DeviceID: c, Status: models.StatusOnline}, {DeviceID: 999999, Status: models.StatusOnline}}
	err = st.WriteBatch(ctx, bad, []*models.Event{{Category: models.CategoryAudit, Type: "x"}})
	if !errors.Is(err, dm.ErrNotFound) {
		t.Fatalf("batch with a missing device: error %v, want ErrNotFound", err)
	}
	dc, err = st.Devices().Get(ctx, c)
	must(t, err)
	if dc.Status != models.StatusAsleep {
		t.Errorf("after a failed batch device c status %q, want asleep (rolled back)", dc.Status)
	}
	wantErr(t, st.WriteBatch(ctx, nil, []*models.Event{{Category: models.CategoryAudit, Type: "x", Data: json.RawMessage("{")}}),
		dm.ErrInvalid, "an event whose data is not JSON")
	wantErr(t, st.WriteBatch(ctx, []dm.StatusChange{{DeviceID: a, Status: "dancing"}}, nil), dm.ErrInvalid, "an unknown status")
	pg, err = st.Events().List(ctx, dm.EventFilter{}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 6 {
		t.Errorf("%d events after failed batches, want 6", pg.Total)
	}
}

// testCreateDevices: many devices in one transaction get their ids and
// labels; a duplicate endpoint creates none of the batch.
func testCreateDevices(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	ds := []*models.Device{{Endpoint: "many-0"}, {Endpoint: "many-1", Labels: map[string]string{"site": "a"}}, {Endpoint: "many-2", Status: models.StatusOnline}}
	must(t, st.CreateDevices(ctx, ds))
	for i, d := range ds {
		got, err := st.Devices().GetByEndpoint(ctx, d.Endpoint)
		must(t, err)
		if d.ID == 0 || got.ID != d.ID || got.CreatedAt.IsZero() {
			t.Errorf("device %d: id %d, stored %+v", i, d.ID, got)
		}
	}
	if got, _ := st.Devices().Get(ctx, ds[1].ID); got.Labels["site"] != "a" {
		t.Errorf("labels of many-1: %v", got.Labels)
	}
	if ds[0].Status != models.StatusNever || ds[2].Status != models.StatusOnline {
		t.Errorf("statuses %q %q, want never and online", ds[0].Status, ds[2].Status)
	}
	err := st.CreateDevices(ctx, []*models.Device{{Endpoint: "many-3"}, {Endpoint: "many-1"}})
	wantErr(t, err, dm.ErrConflict, "a batch with an endpoint that exists")
	if _, err := st.Devices().GetByEndpoint(ctx, "many-3"); !errors.Is(err, dm.ErrNotFound) {
		t.Errorf("many-3 after a failed batch: %v, want ErrNotFound", err)
	}
	wantErr(t, st.CreateDevices(ctx, []*models.Device{{Endpoint: ""}}), dm.ErrInvalid, "an empty endpoint")
}
