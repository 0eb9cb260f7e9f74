package dm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/models"
)

func TestBackoff(t *testing.T) {
	pol := models.RetryPolicy{MaxAttempts: 5, Backoff: models.Duration(time.Second), Multiplier: 2, MaxBackoff: models.Duration(5 * time.Second)}
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 60: 5 * time.Second} {
		if got := backoff(pol, attempts); got != want {
			t.Errorf("after attempt %d: %v, want %v", attempts, got, want)
		}
	}
	if got := backoff(models.RetryPolicy{Backoff: models.Duration(time.Minute)}, 10); got != time.Minute {
		t.Errorf("no multiplier: %v", got)
	}
	if got := backoff(models.RetryPolicy{Backoff: models.Duration(time.Hour), Multiplier: 100}, 1000); got != 365*24*time.Hour {
		t.Errorf("unbounded growth: %v", got)
	}
}

// TestSlowSubscriberGetsDropMarker: publishing never blocks; a full
// subscriber loses events, counts them, and sees a marker with the count
// before the next event it can take.
func TestSlowSubscriberGetsDropMarker(t *testing.T) {
	s := &Service{}
	s.rt = &runtime{hub: newHub(2)}
	sub, cancel := s.subscribe(EventFilter{Types: []string{"x"}})
	defer cancel()
	for i := range 5 {
		s.rt.hub.publish(models.Event{ID: int64(i + 1), Type: "x"})
	}
	s.rt.hub.publish(models.Event{ID: 99, Type: "other"}) // filtered out, not a loss
	if sub.Dropped() != 3 {
		t.Fatalf("dropped %d, want 3", sub.Dropped())
	}
	if e := <-sub.C; e.ID != 1 {
		t.Fatalf("first %+v", e)
	}
	if e := <-sub.C; e.ID != 2 {
		t.Fatalf("second %+v", e)
	}
	s.rt.hub.publish(models.Event{ID: 6, Type: "x"})
	m := <-sub.C
	var d map[string]uint64
	if json.Unmarshal(m.Data, &d); m.Type != EventDropped || d["dropped"] != 3 {
		t.Fatalf("marker %+v %s", m, m.Data)
	}
	if e := <-sub.C; e.ID != 6 {
		t.Fatalf("after the marker %+v", e)
	}
	cancel()
	if _, ok := <-sub.C; ok {
		t.Fatal("channel open after cancel")
	}
	s.rt.hub.publish(models.Event{ID: 7, Type: "x"}) // no panic on a cancelled subscriber
}

func TestEndpointRules(t *testing.T) {
	for _, ok := range []string{"dev-1", "urn:imei:490154203237518", "ünïcode"} {
		if err := checkEndpoint(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a/b", "a\x00b", "a?b", string([]byte{0xff})} {
		if err := checkEndpoint(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
