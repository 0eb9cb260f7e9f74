package dm_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// queueEnv shortens the server's awake window so queue-mode devices fall
// asleep quickly.
func queueEnv(t *testing.T, b storetest.Backend) *env {
	return newEnv(t, b, envOpts{server: func(c *server.Config) { c.AwakeWindow = time.Second }})
}

// TestQueuedCommandDeliveredOnWake: a command for a sleeping queue-mode
// device is queued durably and delivered right after the device's next
// update, in order; its result is recorded.
func TestQueuedCommandDeliveredOnWake(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := queueEnv(t, b)
		ctx := context.Background()
		dev, _ := e.pskDevice(t, "sleepy", dm.DeviceInput{}, func(c *client.Config) {
			c.QueueMode, c.AwakeTime = true, time.Second
		})
		e.waitStatus(t, "sleepy", models.StatusOnline)
		waitFor(t, "device info read", func() bool {
			v, _ := e.svc.GetDevice(ctx, dm.System(), "sleepy")
			return v.Info.Manufacturer != ""
		})
		dev.c.Sleep()
		e.waitStatus(t, "sleepy", models.StatusAsleep)

		w := lwm2m.NewRequest(lwm2m.OpWrite, lwm2m.MustPath("/1/0/1"))
		n := lwm2m.NewResource(1, lwm2m.IntValue(777))
		w.Content = &n
		first, err := e.svc.Execute(ctx, dm.System(), "sleepy", w, dm.CommandOptions{})
		if err != nil || !first.Queued || first.Command.ID == 0 || first.Command.State != models.CommandPending {
			t.Fatalf("write to a sleeping device: %v %+v", err, first)
		}
		second, err := e.svc.Execute(ctx, dm.System(), "sleepy", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/1/0/1")), dm.CommandOptions{})
		if err != nil || !second.Queued {
			t.Fatalf("read: %v %+v", err, second)
		}
		if _, err := e.svc.Execute(ctx, dm.System(), "sleepy", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{NoQueue: true}); !isErr(err, server.ErrDeviceAsleep) {
			t.Fatalf("NoQueue on a sleeping device: %v", err)
		}
		if got, _ := dev.c.Get(lwm2m.MustPath("/1/0/1")); got.Int() == 777 {
			t.Fatal("delivered while asleep")
		}
		dev.c.Wake()
		var c models.Command
		waitFor(t, "the read delivered", func() bool {
			c, err = e.svc.GetCommand(ctx, dm.System(), second.Command.ID)
			return err == nil && c.State.Terminal()
		})
		if c.State != models.CommandSucceeded || c.Result == nil || c.Result.Content.Value.Int() != 777 {
			t.Fatalf("read after the write: %+v %+v", c, c.Result)
		}
		w1, _ := e.svc.GetCommand(ctx, dm.System(), first.Command.ID)
		if w1.State != models.CommandSucceeded || w1.Attempts != 1 || w1.Result.Code != lwm2m.CodeChanged {
			t.Fatalf("write: %+v", w1)
		}
	})
}

// TestQueuedCommandWaitAndExpiry: a caller can wait for a queued
// command's result; a command nobody delivers expires; a pending command
// can be cancelled.
func TestQueuedCommandWaitAndExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		ctx := context.Background()
		if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "offline"}); err != nil {
			t.Fatal(err)
		}
		sub, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: "offline"})
		defer cancel()
		res, err := e.svc.Execute(ctx, dm.System(), "offline", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")),
			dm.CommandOptions{Expiry: 200 * time.Millisecond, Wait: 20 * time.Second})
		if err != nil || !res.Queued {
			t.Fatalf("%v %+v", err, res)
		}
		if res.Command.State != models.CommandExpired {
			t.Fatalf("waited for a command that expires: state %s", res.Command.State)
		}
		waitEvent(t, sub, "command.queued")

		res, err = e.svc.Execute(ctx, dm.System(), "offline", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{})
		if err != nil || res.Command.State != models.CommandPending || res.Command.MaxAttempts != 3 || res.Command.ExpiresAt.IsZero() {
			t.Fatalf("default policy: %v %+v", err, res.Command)
		}
		c, err := e.svc.CancelCommand(ctx, dm.System(), res.Command.ID)
		if err != nil || c.State != models.CommandCancelled {
			t.Fatalf("cancel: %v %+v", err, c)
		}
		if c, err = e.svc.CancelCommand(ctx, dm.System(), res.Command.ID); err != nil || c.State != models.CommandCancelled {
			t.Fatalf("cancel twice: %v %+v", err, c)
		}
		waitEvent(t, sub, "command.cancelled")
		pg, err := e.svc.ListCommands(ctx, dm.System(), dm.CommandFilter{States: []models.CommandState{models.CommandExpired, models.CommandCancelled}}, dm.PageRequest{})
		if err != nil || pg.Total != 2 {
			t.Fatalf("list: %v %+v", err, pg)
		}
	})
}

// TestQueueFull: a device's queue holds QueueDepth commands.
func TestQueueFull(t *testing.T) {
	b := storetest.SQLite()
	b.Options.QueueDepth = 2
	e := newEnv(t, b, envOpts{})
	ctx := context.Background()
	e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "full"})
	for i := 0; i < 2; i++ {
		if _, err := e.svc.Execute(ctx, dm.System(), "full", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Execute(ctx, dm.System(), "full", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{}); !isErr(err, dm.ErrQueueFull) {
		t.Fatalf("third command: %v", err)
	}
}

// TestExecuteSelection queues one command per selected device and
// delivers it to those online.
func TestExecuteSelection(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	e.pskDevice(t, "sel-a", dm.DeviceInput{Labels: map[string]string{"fleet": "x"}}, nil)
	e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "sel-b", Labels: map[string]string{"fleet": "x"}})
	e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "sel-c", Labels: map[string]string{"fleet": "y"}})
	e.waitStatus(t, "sel-a", models.StatusOnline)
	res, err := e.svc.ExecuteSelection(ctx, dm.System(), models.DeviceSelection{Labels: map[string]string{"fleet": "x"}},
		lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/0")), dm.CommandOptions{})
	if err != nil || len(res) != 2 || res[0].Command.Endpoint != "sel-a" || res[1].Command.Endpoint != "sel-b" {
		t.Fatalf("%v %+v", err, res)
	}
	waitFor(t, "delivered to the online device", func() bool {
		c, _ := e.svc.GetCommand(ctx, dm.System(), res[0].Command.ID)
		return c.State == models.CommandSucceeded && c.Result.Content.Value.Str() == "Shoal"
	})
	if c, _ := e.svc.GetCommand(ctx, dm.System(), res[1].Command.ID); c.State != models.CommandPending {
		t.Fatalf("offline device's command: %s", c.State)
	}
	if _, err := e.svc.ExecuteSelection(ctx, dm.System(), models.DeviceSelection{}, lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{}); !isErr(err, dm.ErrInvalid) {
		t.Fatalf("empty selection: %v", err)
	}
}

// TestRegistrationEventsAndStatus: de-registration makes a device
// offline, each change is an event.
func TestRegistrationEventsAndStatus(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	sub, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: "coming-going", Types: []string{"status"}})
	defer cancel()
	dev, _ := e.pskDevice(t, "coming-going", dm.DeviceInput{}, nil)
	ev := waitEvent(t, sub, "status")
	var d map[string]string
	json.Unmarshal(ev.Data, &d)
	if d["from"] != "never" || d["to"] != "online" {
		t.Fatalf("first status event %s", ev.Data)
	}
	waitFor(t, "the client registered", func() bool { return dev.c.Status().Registered })
	dev.stop() // Run's end de-registers
	ev = waitEvent(t, sub, "status")
	json.Unmarshal(ev.Data, &d)
	if d["to"] != "offline" || d["cause"] != "deregistered" {
		t.Fatalf("second status event %s", ev.Data)
	}
	e.waitStatus(t, "coming-going", models.StatusOffline)
	pg, err := e.svc.Events(ctx, dm.System(), dm.EventFilter{Endpoint: "coming-going", Types: []string{"registered", "deregistered"}}, dm.PageRequest{})
	if err != nil || len(pg.Items) != 2 || pg.Items[0].Type != "deregistered" {
		t.Fatalf("stored events: %v %+v", err, pg.Items)
	}
}

// TestProfileAwakeWindow: a profile's awake window shorter than the
// server's makes dm queue commands for a device silent that long, instead
// of sending them into the void.
func TestProfileAwakeWindow(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{
		dm:     func(c *dm.Config) { c.RequestTimeout = time.Second },
		server: func(c *server.Config) { c.AwakeWindow, c.RequestTimeout = time.Minute, time.Second },
	})
	ctx := context.Background()
	prof, err := e.svc.CreateProfile(ctx, dm.System(), models.Profile{Name: "short-awake", Spec: models.ProfileSpec{AwakeWindow: models.Duration(300 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := e.pskDevice(t, "napper", dm.DeviceInput{Profile: prof.Name}, func(c *client.Config) {
		c.QueueMode, c.AwakeTime = true, 300*time.Millisecond
	})
	e.waitStatus(t, "napper", models.StatusOnline)
	waitFor(t, "the profile applied", func() bool {
		pg, _ := e.svc.Events(ctx, dm.System(), dm.EventFilter{Endpoint: "napper", Types: []string{"profile.applied"}}, dm.PageRequest{})
		return len(pg.Items) == 1
	})
	dev.c.Sleep()
	var res dm.CommandResult
	waitFor(t, "a command queued for the silent device", func() bool {
		res, err = e.svc.Execute(ctx, dm.System(), "napper", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/0")), dm.CommandOptions{NoQueue: true})
		return isErr(err, server.ErrDeviceAsleep)
	})
	res, err = e.svc.Execute(ctx, dm.System(), "napper", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/0")), dm.CommandOptions{})
	if err != nil || !res.Queued {
		t.Fatalf("%v %+v", err, res)
	}
	dev.c.Wake()
	waitFor(t, "delivered after the wake", func() bool {
		c, _ := e.svc.GetCommand(ctx, dm.System(), res.Command.ID)
		return c.State == models.CommandSucceeded
	})
}
