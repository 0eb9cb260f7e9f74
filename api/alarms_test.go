package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// receiver is a webhook target on 127.0.0.1: it checks every request's
// signature and answers 500 to the first attempt of each event, 204 to
// the next, so every delivery needs a retry.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server
	mu     sync.Mutex
	hits   map[string][]hit // by X-Shoal-Event-Id
}

type hit struct {
	body      []byte
	timestamp string
	delivery  string
	eventType string
	status    int
}

func newReceiver(t *testing.T, secret string) *receiver {
	rc := &receiver{t: t, secret: secret, hits: map[string][]hit{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if err := dm.VerifyWebhookSignature(rc.secret, body, r.Header.Get("X-Shoal-Signature")); err != nil {
		rc.t.Errorf("signature of %s: %v", body, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	id := r.Header.Get("X-Shoal-Event-Id")
	rc.mu.Lock()
	status := http.StatusInternalServerError
	if len(rc.hits[id]) > 0 {
		status = http.StatusNoContent
	}
	rc.hits[id] = append(rc.hits[id], hit{body: body, timestamp: r.Header.Get("X-Shoal-Timestamp"),
		delivery: r.Header.Get("X-Shoal-Delivery"), eventType: r.Header.Get("X-Shoal-Event"), status: status})
	rc.mu.Unlock()
	w.WriteHeader(status)
}

// delivered returns the events that reached the receiver with a 2xx, by
// id, with every attempt.
func (rc *receiver) delivered() map[string][]hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string][]hit{}
	for id, hs := range rc.hits {
		if hs[len(hs)-1].status < 300 {
			out[id] = append([]hit(nil), hs...)
		}
	}
	return out
}

// cutDialer lets a test silence a device both ways, as if its radio
// died: nothing it sends arrives, so its registration expires.
type cutDialer struct {
	d   client.Dialer
	cut *atomic.Bool
}

func (c cutDialer) Dial(ctx context.Context, t client.Target, in client.Inbound) (client.Conn, error) {
	conn, err := c.d.Dial(ctx, t, muteInbound{in: in, mute: c.cut})
	if err != nil {
		return nil, err
	}
	return cutConn{Conn: conn, cut: c.cut}, nil
}

type cutConn struct {
	client.Conn
	cut *atomic.Bool
}

var errCut = errors.New("radio cut by the test")

func (c cutConn) Exchange(ctx context.Context, req *coap.Message) (*coap.Message, error) {
	if c.cut.Load() {
		return nil, errCut
	}
	return c.Conn.Exchange(ctx, req)
}

func (c cutConn) Notify(ctx context.Context, obs, msg *coap.Message) error {
	if c.cut.Load() {
		return nil
	}
	return c.Conn.Notify(ctx, obs, msg)
}

type alarmJSON struct {
	ID       int64           `json:"id"`
	Endpoint string          `json:"endpoint"`
	Rule     string          `json:"rule"`
	Type     string          `json:"type"`
	Severity string          `json:"severity"`
	State    string          `json:"state"`
	Count    int64           `json:"count"`
	Details  json.RawMessage `json:"details"`
}

type alarmPage struct {
	Items []alarmJSON `json:"items"`
	Total int64       `json:"total"`
}

// waitAlarm waits until the device has an alarm of the type in the state.
func (e *env) waitAlarm(ep, typ, state string) alarmJSON {
	e.t.Helper()
	var found alarmJSON
	waitFor(e.t, fmt.Sprintf("a %s %s alarm on %s", state, typ, ep), func() bool {
		var pg alarmPage
		e.do("GET", "/api/v1/alarms?device="+ep, nil).want(e.t, 200).json(e.t, &pg)
		for _, a := range pg.Items {
			if a.Type == typ && a.State == state {
				found = a
				return true
			}
		}
		return false
	})
	return found
}

// TestAlarmsAndWebhooks: a simulated device crossing a battery threshold
// raises an alarm that clears when the value recovers; the device's
// lifetime expiring raises an offline alarm that clears when it registers
// again; each of these four changes reaches a webhook receiver signed,
// after a first attempt the receiver refused, and the channel's delivery
// log shows it. On SQLite and PostgreSQL.
func TestAlarmsAndWebhooks(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, envOpts{backend: &b,
			dm: func(c *dm.Config) {
				c.AlarmInterval = 20 * time.Millisecond
				c.Webhooks = dm.WebhookConfig{Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Sweep: 20 * time.Millisecond}
			},
			server: func(c *server.Config) { c.LifetimeGrace = time.Millisecond },
		})
		const secret = "receiver-secret-0123456789"
		rc := newReceiver(t, secret)
		var hook struct {
			Webhook struct {
				ID int64 `json:"id"`
			} `json:"webhook"`
			Secret string `json:"secret"`
		}
		e.do("POST", "/api/v1/webhooks", map[string]any{"name": "ops", "url": rc.srv.URL + "/shoal", "secret": secret,
			"event_types": []string{"alarm.raised", "alarm.cleared"}}).want(t, 201).json(t, &hook)
		if hook.Secret != "" {
			t.Errorf("a given secret was echoed: %q", hook.Secret)
		}
		e.do("POST", "/api/v1/profiles", meterProfile).want(t, 201)
		e.do("POST", "/api/v1/alarm-rules", map[string]any{"name": "battery low", "profile": "meter", "severity": "major",
			"spec": map[string]any{"kind": "threshold", "key": "battery", "below": 20}}).want(t, 201)
		e.do("POST", "/api/v1/alarm-rules", map[string]any{"name": "gone", "profile": "meter", "severity": "critical",
			"spec": map[string]any{"kind": "offline", "for": "0s"}}).want(t, 201)

		cut := &atomic.Bool{}
		d := e.startDeviceWith("alarm-1", map[string]any{"profile": "meter"}, func(c *client.Config) {
			c.Lifetime = time.Second
			c.Dialer = cutDialer{d: c.Dialer, cut: cut}
		})
		e.waitStatus("alarm-1", "online")
		waitFor(t, "the observation of /3/0/9", func() bool { return d.c.Attributes(lwm2m.MustPath("/3/0/9")).Pmax != nil })

		// Battery below 20 %: raised; back above: cleared.
		if err := d.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(15)); err != nil {
			t.Fatal(err)
		}
		low := e.waitAlarm("alarm-1", "threshold", "active")
		var det struct {
			Key   string  `json:"key"`
			Value float64 `json:"value"`
			Below float64 `json:"below"`
		}
		if err := json.Unmarshal(low.Details, &det); err != nil || det.Key != "battery" || det.Value != 15 || det.Below != 20 || low.Severity != "major" {
			t.Errorf("threshold alarm %+v (details %s)", low, low.Details)
		}
		if err := d.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(80)); err != nil {
			t.Fatal(err)
		}
		e.waitAlarm("alarm-1", "threshold", "cleared")

		// Silence: the lifetime expires, the device goes offline and the
		// offline alarm is raised; when it gets through again it
		// registers anew and the alarm clears.
		cut.Store(true)
		e.waitStatus("alarm-1", "offline")
		gone := e.waitAlarm("alarm-1", "offline", "active")
		if gone.Severity != "critical" {
			t.Errorf("offline alarm %+v", gone)
		}
		var evs struct {
			Items []eventJSON `json:"items"`
		}
		e.do("GET", "/api/v1/devices/alarm-1/events?type=expired", nil).want(t, 200).json(t, &evs)
		if len(evs.Items) == 0 {
			t.Error("the device went offline without its lifetime expiring")
		}
		cut.Store(false)
		e.waitAlarm("alarm-1", "offline", "cleared")
		e.waitStatus("alarm-1", "online")

		// Every change reached the receiver, signed, on its second
		// attempt, with the same body both times.
		want := map[string]string{} // event type / alarm type
		waitFor(t, "four deliveries", func() bool { return len(rc.delivered()) == 4 })
		for id, hs := range rc.delivered() {
			if len(hs) != 2 || hs[0].status != 500 || hs[1].status != 204 {
				t.Errorf("event %s: attempts %+v", id, hs)
				continue
			}
			if string(hs[0].body) != string(hs[1].body) || hs[0].delivery != hs[1].delivery {
				t.Errorf("event %s: the retry differs from the first attempt", id)
			}
			if _, err := strconv.ParseInt(hs[1].timestamp, 10, 64); err != nil {
				t.Errorf("event %s: X-Shoal-Timestamp %q", id, hs[1].timestamp)
			}
			var body struct {
				ID       int64  `json:"id"`
				Type     string `json:"type"`
				Category string `json:"category"`
				Endpoint string `json:"endpoint"`
				Data     struct {
					Type  string `json:"type"`
					State string `json:"state"`
				} `json:"data"`
			}
			if err := json.Unmarshal(hs[1].body, &body); err != nil || strconv.FormatInt(body.ID, 10) != id || body.Endpoint != "alarm-1" ||
				body.Category != "alarm" || body.Type != hs[1].eventType {
				t.Errorf("event %s: body %s (%v)", id, hs[1].body, err)
			}
			want[body.Type+"/"+body.Data.Type] = body.Data.State
		}
		for _, k := range []string{"alarm.raised/threshold", "alarm.cleared/threshold", "alarm.raised/offline", "alarm.cleared/offline"} {
			if _, ok := want[k]; !ok {
				t.Errorf("no %s delivery; got %v", k, want)
			}
		}
		var log struct {
			Items []struct {
				State      string `json:"state"`
				Attempts   int    `json:"attempts"`
				StatusCode int    `json:"status_code"`
				EventType  string `json:"event_type"`
			} `json:"items"`
			Total int64 `json:"total"`
		}
		waitFor(t, "the delivery log to show four deliveries done", func() bool {
			e.do("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=succeeded", hook.Webhook.ID), nil).want(t, 200).json(t, &log)
			return log.Total == 4
		})
		for _, dl := range log.Items {
			if dl.Attempts != 2 || dl.StatusCode != 204 {
				t.Errorf("delivery %+v", dl)
			}
		}
	})
}
