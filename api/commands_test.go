package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

type commandJSON struct {
	ID       int64       `json:"id"`
	Endpoint string      `json:"endpoint"`
	Op       string      `json:"op"`
	Path     string      `json:"path"`
	State    string      `json:"state"`
	Result   *resultJSON `json:"result"`
	Error    string      `json:"error"`
}

type commandPage struct {
	Items []commandJSON `json:"items"`
	Total int64         `json:"total"`
	Next  string        `json:"next"`
}

// TestSleepingDevice: a read of a sleeping queue-mode device answers 202
// with the queued command, which is delivered when the device wakes;
// ?wait= waits for that answer instead; queue=false refuses to queue.
func TestSleepingDevice(t *testing.T) {
	e := newEnv(t, envOpts{server: func(c *server.Config) { c.AwakeWindow = 300 * time.Millisecond }})
	d := e.startDevice("sleepy-1", func(c *client.Config) { c.QueueMode, c.AwakeTime = true, 300*time.Millisecond })
	e.waitStatus("sleepy-1", "online")
	if err := d.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(42)); err != nil {
		t.Fatal(err)
	}
	d.c.Sleep()
	e.waitStatus("sleepy-1", "asleep")

	base := "/api/v1/devices/sleepy-1"
	var c commandJSON
	r := e.do("GET", base+"/lwm2m/3/0/9", nil).want(t, http.StatusAccepted)
	r.json(t, &c)
	if c.ID == 0 || c.State != "pending" || c.Op != "read" || c.Path != "/3/0/9" {
		t.Fatalf("queued read: %+v", c)
	}
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/commands/%d", c.ID) {
		t.Errorf("Location %q", loc)
	}
	p := e.do("GET", base+"/lwm2m/3/0/9?queue=false", nil).want(t, http.StatusConflict).problem(t)
	if p["type"] != "urn:shoal:problem:device-unreachable" {
		t.Errorf("queue=false on a sleeping device: %v", p)
	}
	var pending commandPage
	e.do("GET", base+"/commands?state=pending", nil).want(t, 200).json(t, &pending)
	if pending.Total != 1 || pending.Items[0].ID != c.ID {
		t.Fatalf("pending commands: %+v", pending)
	}

	d.c.Wake()
	var done commandJSON
	waitFor(t, "the queued read delivered", func() bool {
		e.do("GET", fmt.Sprintf("/api/v1/commands/%d", c.ID), nil).want(t, 200).json(t, &done)
		return done.State != "pending" && done.State != "sent"
	})
	if done.State != "succeeded" || done.Result == nil || done.Result.Content == nil || done.Result.Content.Value != float64(42) {
		t.Fatalf("delivered read: %+v result %+v", done, done.Result)
	}

	// ?wait=: the request is answered once the device wakes.
	d.c.Sleep()
	e.waitStatus("sleepy-1", "asleep")
	got := make(chan reply, 1)
	go func() { got <- e.do("GET", base+"/lwm2m/3/0/9?wait=20s", nil) }()
	waitFor(t, "the waiting read queued", func() bool {
		var pg commandPage
		e.do("GET", base+"/commands?state=pending", nil).want(t, 200).json(t, &pg)
		return pg.Total == 1
	})
	d.c.Wake()
	var waited resultJSON
	(<-got).want(t, 200).json(t, &waited)
	if waited.Code != "2.05" || waited.Content == nil || waited.Content.Value != float64(42) {
		t.Fatalf("waited read: %+v", waited)
	}
}

// TestCommandLifecycle works on a device that never connected: commands
// queue, list, cancel, expire while waited for, and the queue fills.
func TestCommandLifecycle(t *testing.T) {
	e := newEnv(t, envOpts{queueDepth: 3})
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "offline-1", "labels": map[string]string{"fleet": "a"}}).want(t, 201)
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "offline-2", "labels": map[string]string{"fleet": "a"}}).want(t, 201)

	var c1 commandJSON
	e.do("POST", "/api/v1/devices/offline-1/commands", map[string]any{
		"op": "write", "path": "/1/0/1", "value": 600, "expiry": "1h", "max_attempts": 2,
	}).want(t, 202).json(t, &c1)
	if c1.State != "pending" || c1.Op != "write" {
		t.Fatalf("queued write: %+v", c1)
	}
	var got commandJSON
	e.do("GET", fmt.Sprintf("/api/v1/commands/%d", c1.ID), nil).want(t, 200).json(t, &got)
	if got.ID != c1.ID || got.Endpoint != "offline-1" {
		t.Fatalf("get: %+v", got)
	}
	var cancelled commandJSON
	e.do("DELETE", fmt.Sprintf("/api/v1/commands/%d", c1.ID), nil).want(t, 200).json(t, &cancelled)
	if cancelled.State != "cancelled" {
		t.Fatalf("cancel: %+v", cancelled)
	}
	e.do("DELETE", fmt.Sprintf("/api/v1/commands/%d", c1.ID), nil).want(t, 200)

	// A waited-for command that expires is a 504 naming the command.
	p := e.do("GET", "/api/v1/devices/offline-1/lwm2m/3/0?wait=20s&expiry=200ms", nil).want(t, 504).problem(t)
	if p["type"] != "urn:shoal:problem:device-timeout" || p["command_id"] == nil {
		t.Fatalf("expired while waiting: %v", p)
	}

	// Selection commands queue one command per device.
	var sel commandPage
	e.do("POST", "/api/v1/commands", map[string]any{
		"selection": map[string]any{"labels": map[string]string{"fleet": "a"}}, "op": "execute", "path": "/3/0/4",
	}).want(t, 202).json(t, &sel)
	if sel.Total != 2 || sel.Items[0].State != "pending" || sel.Items[1].State != "pending" {
		t.Fatalf("selection: %+v", sel)
	}
	p = e.do("POST", "/api/v1/commands", map[string]any{"op": "read", "path": "/3/0"}).want(t, 400).problem(t)
	if p["field"] != "selection" {
		t.Errorf("empty selection: %v", p)
	}
	var all commandPage
	e.do("GET", "/api/v1/commands?device=offline-1", nil).want(t, 200).json(t, &all)
	if all.Total != 3 {
		t.Errorf("offline-1 commands: %+v", all)
	}
	var active commandPage
	e.do("GET", "/api/v1/commands?state=pending", nil).want(t, 200).json(t, &active)
	if active.Total != 2 {
		t.Errorf("pending commands: %+v", active)
	}

	// offline-1 holds one pending command; two more fill its queue of 3.
	for i := 0; i < 2; i++ {
		e.do("GET", "/api/v1/devices/offline-1/lwm2m/3/0/9", nil).want(t, 202)
	}
	p = e.do("GET", "/api/v1/devices/offline-1/lwm2m/3/0/9", nil).want(t, http.StatusTooManyRequests).problem(t)
	if p["type"] != "urn:shoal:problem:queue-full" {
		t.Errorf("queue full: %v", p)
	}

	for path, field := range map[string]string{
		"/api/v1/commands/abc":                        "id",
		"/api/v1/commands?state=lost":                 "state",
		"/api/v1/devices/offline-1/commands?limit=-1": "limit",
	} {
		if p := e.do("GET", path, nil).want(t, 400).problem(t); p["field"] != field {
			t.Errorf("%s: %v", path, p)
		}
	}
	e.do("GET", "/api/v1/commands/999999", nil).want(t, 404)
	e.do("GET", "/api/v1/commands?device=ghost", nil).want(t, 404)
	for body, field := range map[string]string{
		`{"op": "write", "path": "/1/0/1"}`:                                        "value",
		`{"op": "write", "path": "/1/0/1", "value": "soon"}`:                       "value",
		`{"op": "read", "path": "/1/0/1", "wait": "forever"}`:                      "wait",
		`{"op": "execute", "path": "/3/0/4", "args": "x"}`:                         "args",
		`{"op": "read-composite", "paths": ["/3/0/9", "3/0"]}`:                     "paths[1]",
		`{"op": "write-attributes", "path": "/3/0/9", "attributes": {"pmin": -1}}`: "attributes.pmin",
	} {
		p := e.do("POST", "/api/v1/devices/offline-2/commands", body).want(t, 400).problem(t)
		if p["field"] != field {
			t.Errorf("%s: field %v, want %s (%v)", body, p["field"], field, p["detail"])
		}
	}
}
