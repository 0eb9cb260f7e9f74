package dm

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/models"
)

// TestWebhookWants: a channel takes the event types it lists (or "*"),
// narrows alarm events to its alarm types, and a customer's channel takes
// only that customer's events.
func TestWebhookWants(t *testing.T) {
	alarm := func(typ string, cust int64) models.Event {
		return models.Event{Category: models.CategoryAlarm, Type: EventAlarmRaised, CustomerID: cust,
			Data: json.RawMessage(`{"type":"` + typ + `","state":"active"}`)}
	}
	reg := models.Event{Category: models.CategoryRegistration, Type: "registered", CustomerID: 2}
	all := models.WebhookChannel{EventTypes: []string{"*"}}
	alarms := models.WebhookChannel{EventTypes: []string{EventAlarmRaised}, AlarmTypes: []string{"offline"}}
	cust := models.WebhookChannel{EventTypes: []string{"*"}, CustomerID: 2}
	for _, c := range []struct {
		name string
		ch   models.WebhookChannel
		ev   models.Event
		want bool
	}{
		{"all takes a registration", all, reg, true},
		{"all takes any alarm", all, alarm("threshold", 0), true},
		{"offline alarms only: offline", alarms, alarm("offline", 0), true},
		{"offline alarms only: threshold", alarms, alarm("threshold", 0), false},
		{"offline alarms only: a registration", alarms, reg, false},
		{"alarm data that is not JSON", alarms, models.Event{Category: models.CategoryAlarm, Type: EventAlarmRaised, Data: json.RawMessage(`{`)}, false},
		{"customer 2: its event", cust, reg, true},
		{"customer 2: customer 3's alarm", cust, alarm("offline", 3), false},
		{"customer 2: an event of no customer", cust, models.Event{Type: "token.created", Category: models.CategoryAudit}, false},
	} {
		if got := wants(&c.ch, &c.ev); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestWebhookURLs: only absolute http(s) URLs with a host and no
// credentials are accepted.
func TestWebhookURLs(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080/hook": true, "https://hooks.example.com/x?y=1": true,
		"ftp://127.0.0.1/x": false, "127.0.0.1/hook": false, "https://": false, "http://user:pw@127.0.0.1/": false,
		"javascript:alert(1)": false, "": false, "http://127.0.0.1/#frag": false, "http://[::1": false,
	} {
		if err := checkWebhookURL(raw); (err == nil) != ok {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

// FuzzWebhookURL: any text is accepted only as an absolute http(s) URL
// with a host, or refused as invalid naming url; never a panic.
func FuzzWebhookURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/hook", "https://h/x?y=1", "ftp://h/", "http://[::1", "http://u:p@h/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkWebhookURL(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "url") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		u, perr := url.Parse(s)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("%q accepted", s)
		}
	})
}
