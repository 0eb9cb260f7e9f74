package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// appEnv runs the whole server as `shoal serve` assembles it (package
// app), with the API on a real 127.0.0.1 listener.
func appEnv(t *testing.T) *env {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DB = "sqlite://" + cfg.DataDir + "/shoal.db"
	cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.LogLevel = "error"
	cfg.AwakeWindow = 300 * time.Millisecond
	cfg.RequestTimeout = 5 * time.Second
	cfg.AdminToken = testToken
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app: %v", err)
		}
	})
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("app ended at start: %v", err)
	}
	return &env{t: t, svc: a.Service(), base: "http://" + a.HTTPAddr().String(), hc: &http.Client{},
		dtls: a.CoAPSAddr().String(), token: testToken}
}

// TestThroughApp drives the LwM2M operation routes of a server assembled
// by package app: a device answering, a device timing out, a sleeping
// device's read queued (202) and delivered when it wakes.
func TestThroughApp(t *testing.T) {
	e := appEnv(t)
	awake := e.startDevice("app-awake", nil)
	quiet := e.startDevice("app-quiet", nil)
	sleepy := e.startDevice("app-sleepy", func(c *client.Config) { c.QueueMode, c.AwakeTime = true, 300*time.Millisecond })
	for _, ep := range []string{"app-awake", "app-quiet", "app-sleepy"} {
		e.waitStatus(ep, "online")
	}
	if err := awake.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(91)); err != nil {
		t.Fatal(err)
	}
	var rd resultJSON
	e.do("GET", "/api/v1/devices/app-awake/lwm2m/3/0/9", nil).want(t, 200).json(t, &rd)
	if rd.Code != "2.05" || rd.Content == nil || rd.Content.Value != float64(91) {
		t.Fatalf("read: %+v", rd)
	}
	e.do("PUT", "/api/v1/devices/app-awake/lwm2m/1/0/1", map[string]any{"value": 120}).want(t, 200)
	if v, _ := awake.c.Get(lwm2m.MustPath("/1/0/1")); v.Int() != 120 {
		t.Fatalf("lifetime after the write: %v", v)
	}

	quiet.mute.Store(true)
	p := e.do("GET", "/api/v1/devices/app-quiet/lwm2m/3/0/9?timeout=300ms&queue=false", nil).want(t, 504).problem(t)
	if p["type"] != "urn:shoal:problem:device-timeout" {
		t.Errorf("timeout: %v", p)
	}

	sleepy.c.Sleep()
	e.waitStatus("app-sleepy", "asleep")
	var c commandJSON
	e.do("GET", "/api/v1/devices/app-sleepy/lwm2m/3/0/0", nil).want(t, http.StatusAccepted).json(t, &c)
	if c.State != "pending" {
		t.Fatalf("queued: %+v", c)
	}
	sleepy.c.Wake()
	waitFor(t, "the queued read delivered", func() bool {
		e.do("GET", "/api/v1/commands/"+strconv.FormatInt(c.ID, 10), nil).want(t, 200).json(t, &c)
		return c.State == "succeeded"
	})
	if c.Result == nil || c.Result.Content == nil || c.Result.Content.Value != "Shoal" {
		t.Fatalf("delivered: %+v", c.Result)
	}
}
