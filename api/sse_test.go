package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/api"
)

// sseEvent is one parsed Server-Sent Event (or a comment).
type sseEvent struct {
	id, name, data string
	comment        string
}

type sseStream struct {
	events chan sseEvent
	cancel context.CancelFunc
}

// openStream connects to /api/v1/events with the query and headers and
// parses what arrives.
func (e *env) openStream(query string, hdr ...string) *sseStream {
	e.t.Helper()
	return e.openStreamAs(e.token, query, hdr...)
}

// openStreamAs opens the event stream with token.
func (e *env) openStreamAs(token, query string, hdr ...string) *sseStream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/api/v1/events"+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		e.t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{events: make(chan sseEvent, 1024), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				s.events <- sseEvent{comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	e.t.Cleanup(cancel)
	return s
}

// next returns the next event that is not a comment (or a comment when
// comments is true); a 20 s guard catches hangs.
func (s *sseStream) next(t *testing.T, comments bool) sseEvent {
	t.Helper()
	guard := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if (ev.comment != "") == comments {
				return ev
			}
		case <-guard:
			t.Fatal("no event arrived")
		}
	}
}

type eventJSON struct {
	ID       int64           `json:"id"`
	Endpoint string          `json:"endpoint"`
	Category string          `json:"category"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
}

func (ev sseEvent) decode(t *testing.T) eventJSON {
	t.Helper()
	var e eventJSON
	if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
		t.Fatalf("event data %q: %v", ev.data, err)
	}
	return e
}

// TestSSE: events arrive, filters work, heartbeats come, and a reconnect
// with Last-Event-ID replays what was missed from the log.
func TestSSE(t *testing.T) {
	e := newEnv(t, envOpts{api: func(c *api.Config) { c.Heartbeat = 20 * time.Millisecond }})
	all := e.openStream("")
	forA := e.openStream("?device=sse-a")
	deletes := e.openStream("?type=device.deleted")

	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "sse-b"}).want(t, 201)
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "sse-a"}).want(t, 201)
	e.do("DELETE", "/api/v1/devices/sse-b", nil).want(t, 204)

	first := all.next(t, false)
	ev := first.decode(t)
	if ev.Endpoint != "sse-b" || ev.Type != "device.created" || first.id == "" || ev.ID == 0 {
		t.Fatalf("first event on the unfiltered stream: %+v (id %q)", ev, first.id)
	}
	if ev := forA.next(t, false).decode(t); ev.Endpoint != "sse-a" || ev.Type != "device.created" {
		t.Fatalf("device filter let through %+v", ev)
	}
	if ev := deletes.next(t, false).decode(t); ev.Endpoint != "sse-b" || ev.Type != "device.deleted" {
		t.Fatalf("type filter let through %+v", ev)
	}
	if hb := all.next(t, true); hb.comment != "heartbeat" {
		t.Fatalf("comment %q, want a heartbeat", hb.comment)
	}

	// Reconnect after the first event: the two later ones are replayed
	// from the log, oldest first, and live events follow.
	all.cancel()
	again := e.openStream("", "Last-Event-ID", first.id)
	if ev := again.next(t, false).decode(t); ev.Endpoint != "sse-a" || ev.Type != "device.created" {
		t.Fatalf("first replayed event: %+v", ev)
	}
	if ev := again.next(t, false).decode(t); ev.Endpoint != "sse-b" || ev.Type != "device.deleted" {
		t.Fatalf("second replayed event: %+v", ev)
	}
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "sse-c"}).want(t, 201)
	if ev := again.next(t, false).decode(t); ev.Endpoint != "sse-c" {
		t.Fatalf("live event after the replay: %+v", ev)
	}

	// Accept: application/json lists the log instead.
	var page struct {
		Items []eventJSON `json:"items"`
		Total int64       `json:"total"`
	}
	e.do("GET", "/api/v1/events?type=device.created", nil, "Accept", "application/json").want(t, 200).json(t, &page)
	if page.Total != 3 || page.Items[0].Endpoint != "sse-c" {
		t.Fatalf("event log: %+v", page)
	}
	p := e.do("GET", "/api/v1/events", nil, "Last-Event-ID", "x").want(t, 400).problem(t)
	if p["field"] != "Last-Event-ID" {
		t.Errorf("bad Last-Event-ID: %v", p)
	}
	if p := e.do("GET", "/api/v1/events?category=gossip", nil).want(t, 400).problem(t); p["field"] != "category" {
		t.Errorf("bad category: %v", p)
	}
}
