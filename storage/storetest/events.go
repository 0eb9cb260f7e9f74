package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func testEvents(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	ev := st.Events()
	var ids []int64
	for i := range 30 {
		e := models.Event{Time: T0.Add(time.Duration(i) * time.Minute), Category: models.CategoryRegistration, Type: "registered",
			DeviceID: int64(i%3 + 1), Endpoint: "ep", Actor: "system", Data: json.RawMessage(`{"lifetime": 300}`)}
		if i%5 == 0 {
			e.Category, e.Type, e.CustomerID = models.CategoryAudit, "device.update", 7
		}
		must(t, ev.Append(ctx, &e))
		if len(ids) > 0 && e.ID <= ids[len(ids)-1] {
			t.Fatalf("event ids not increasing: %d after %d", e.ID, ids[len(ids)-1])
		}
		ids = append(ids, e.ID)
	}
	pg, err := ev.List(ctx, dm.EventFilter{}, dm.PageRequest{Limit: 10})
	must(t, err)
	if pg.Total != 30 || len(pg.Items) != 10 || pg.Items[0].ID != ids[29] || pg.Next == "" {
		t.Fatalf("first page: total %d, %d items, first %d", pg.Total, len(pg.Items), pg.Items[0].ID)
	}
	first := pg.Items[0]
	var data map[string]int
	if err := json.Unmarshal(first.Data, &data); err != nil || data["lifetime"] != 300 {
		t.Errorf("data %s: %v", first.Data, err)
	}
	sameTime(t, "event time", first.Time, T0.Add(29*time.Minute))
	pg2, err := ev.List(ctx, dm.EventFilter{}, dm.PageRequest{Limit: 10, Cursor: pg.Next})
	must(t, err)
	if pg2.Items[0].ID != ids[19] {
		t.Errorf("second page starts at %d, want %d", pg2.Items[0].ID, ids[19])
	}
	for name, c := range map[string]struct {
		f    dm.EventFilter
		want int64
	}{
		"device":   {dm.EventFilter{DeviceID: 2}, 10},
		"category": {dm.EventFilter{Categories: []models.EventCategory{models.CategoryAudit}}, 6},
		"type":     {dm.EventFilter{Types: []string{"registered"}}, 24},
		"customer": {dm.EventFilter{CustomerID: 7}, 6},
		"range":    {dm.EventFilter{From: T0.Add(10 * time.Minute), To: T0.Add(20 * time.Minute)}, 10},
		"endpoint": {dm.EventFilter{Endpoint: "ep", DeviceID: 1, Categories: []models.EventCategory{models.CategoryRegistration}}, 8},
	} {
		pg, err := ev.List(ctx, c.f, dm.PageRequest{})
		must(t, err)
		if pg.Total != c.want || int64(len(pg.Items)) != c.want {
			t.Errorf("%s: total %d, %d items, want %d", name, pg.Total, len(pg.Items), c.want)
		}
	}
	n, err := ev.DeleteBefore(ctx, T0.Add(25*time.Minute), 100)
	must(t, err)
	if n != 25 {
		t.Errorf("deleted %d events, want 25", n)
	}
	bad := models.Event{Category: models.CategoryAudit, Type: "x", Data: json.RawMessage(`{nope`)}
	wantErr(t, ev.Append(ctx, &bad), dm.ErrInvalid, "data that is not JSON")
	wantErr(t, ev.Append(ctx, &models.Event{Type: "x"}), dm.ErrInvalid, "no category")
}
