package storetest

import (
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

func readCmd(dev int64, path string) models.Command {
	return models.Command{DeviceID: dev, Request: lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath(path)), MaxAttempts: 3}
}

func enqueue(t testing.TB, st *storage.Store, c models.Command) models.Command {
	t.Helper()
	must(t, st.Commands().Enqueue(t.Context(), &c))
	return c
}

// claim claims the device's next command, expecting one (want > 0, its ID)
// or none (want 0).
func claim(t testing.TB, st *storage.Store, dev int64, now time.Time, want int64) models.Command {
	t.Helper()
	c, ok, err := st.Commands().Claim(t.Context(), dev, now)
	must(t, err)
	switch {
	case want == 0 && ok:
		t.Fatalf("claim handed out command %d, want none", c.ID)
	case want != 0 && !ok:
		t.Fatalf("claim handed out nothing, want command %d", want)
	case want != 0 && c.ID != want:
		t.Fatalf("claim handed out command %d, want %d", c.ID, want)
	}
	return c
}

func testCommandFIFO(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	q := st.Commands()
	dev, other := newDevice(t, st, "d"), newDevice(t, st, "o")
	write := models.Command{DeviceID: dev, Request: lwm2m.Request{Op: lwm2m.OpWrite, Path: lwm2m.MustPath("/1/0/1"),
		Format: lwm2m.FormatTLV, Content: &lwm2m.Node{Kind: lwm2m.KindResource, ID: 1, Value: lwm2m.IntValue(600)}}}
	c1 := enqueue(t, st, write)
	c2 := enqueue(t, st, readCmd(dev, "/3/0/9"))
	c3 := enqueue(t, st, readCmd(dev, "/3/0"))
	o1 := enqueue(t, st, readCmd(other, "/3/0/0"))
	if c1.Endpoint != "d" || c1.State != models.CommandPending || c1.MaxAttempts != 1 || c2.MaxAttempts != 3 {
		t.Errorf("enqueue filled %+v", c1)
	}
	ready, err := q.Ready(ctx, T0.Add(time.Hour), 10)
	must(t, err)
	if len(ready) != 2 {
		t.Errorf("ready devices %v, want both", ready)
	}

	got := claim(t, st, dev, time.Time{}, c1.ID)
	if got.State != models.CommandSent || got.Attempts != 1 || got.Request.Content == nil || got.Request.Content.Value.Int() != 600 {
		t.Errorf("claimed %+v", got)
	}
	claim(t, st, dev, time.Time{}, 0) // one in flight per device
	claim(t, st, other, time.Time{}, o1.ID)
	ready, err = q.Ready(ctx, T0.Add(time.Hour), 10)
	must(t, err)
	if len(ready) != 0 {
		t.Errorf("ready devices with commands in flight: %v", ready)
	}

	res := &lwm2m.Response{Code: lwm2m.MakeCode(2, 4)}
	done, err := q.Complete(ctx, c1.ID, res, T0)
	must(t, err)
	if done.State != models.CommandSucceeded || done.Result == nil || done.Result.Code != res.Code {
		t.Errorf("completed %+v", done)
	}
	// Completing again (a duplicate answer) changes nothing.
	again, err := q.Complete(ctx, c1.ID, &lwm2m.Response{Code: lwm2m.MakeCode(4, 4)}, T0.Add(time.Minute))
	must(t, err)
	if again.State != models.CommandSucceeded || !again.UpdatedAt.Equal(done.UpdatedAt) {
		t.Errorf("second completion changed the command: %+v", again)
	}
	again, err = q.Fail(ctx, c1.ID, "late timeout", T0, T0)
	must(t, err)
	if again.State != models.CommandSucceeded || again.Error != "" {
		t.Errorf("failing a succeeded command changed it: %+v", again)
	}

	claim(t, st, dev, time.Time{}, c2.ID)
	notFound := &lwm2m.Response{Code: lwm2m.MakeCode(4, 4), Format: lwm2m.FormatText, Payload: []byte("no such resource")}
	failed, err := q.Complete(ctx, c2.ID, notFound, T0)
	must(t, err)
	if failed.State != models.CommandFailed || failed.Error == "" {
		t.Errorf("an error answer gave %+v", failed)
	}
	claim(t, st, dev, time.Time{}, c3.ID)

	pg, err := q.List(ctx, dm.CommandFilter{DeviceID: dev, States: []models.CommandState{models.CommandSucceeded, models.CommandFailed}}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 2 || pg.Items[0].ID != c1.ID || pg.Items[1].ID != c2.ID {
		t.Errorf("finished commands %+v", pg)
	}
	bad := models.Command{DeviceID: dev, Request: lwm2m.NewRequest(lwm2m.OpExecute, lwm2m.MustPath("/3/0"))}
	wantErr(t, q.Enqueue(ctx, &bad), dm.ErrInvalid, "execute on an instance")
	missing := readCmd(9999, "/3/0")
	wantErr(t, q.Enqueue(ctx, &missing), dm.ErrInvalid, "unknown device")
	_, err = q.Get(ctx, 9999)
	wantErr(t, err, dm.ErrNotFound, "unknown command")
	_, err = q.Complete(ctx, 9999, nil, T0)
	wantErr(t, err, dm.ErrNotFound, "complete unknown")
}

func testCommandRetry(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	q := st.Commands()
	dev := newDevice(t, st, "d")
	c := enqueue(t, st, readCmd(dev, "/3/0/9")) // 3 attempts
	now := T0.Add(time.Hour)
	claim(t, st, dev, now, c.ID)
	retryAt := now.Add(time.Minute)
	got, err := q.Fail(ctx, c.ID, "timeout", retryAt, now)
	must(t, err)
	if got.State != models.CommandPending || got.Error != "timeout" {
		t.Fatalf("after first failure %+v", got)
	}
	sameTime(t, "next attempt", got.NextAttemptAt, retryAt)
	claim(t, st, dev, now.Add(30*time.Second), 0) // not yet
	ready, err := q.Ready(ctx, now.Add(30*time.Second), 10)
	must(t, err)
	if len(ready) != 0 {
		t.Errorf("ready before the retry time: %v", ready)
	}
	got = claim(t, st, dev, retryAt, c.ID)
	if got.Attempts != 2 {
		t.Errorf("attempts %d, want 2", got.Attempts)
	}
	got, err = q.Fail(ctx, c.ID, "timeout", retryAt.Add(time.Minute), retryAt)
	must(t, err)
	got = claim(t, st, dev, retryAt.Add(time.Minute), c.ID)
	if got.Attempts != 3 {
		t.Errorf("attempts %d, want 3", got.Attempts)
	}
	got, err = q.Fail(ctx, c.ID, "timeout again", retryAt.Add(2*time.Minute), retryAt.Add(time.Minute))
	must(t, err)
	if got.State != models.CommandFailed || got.Error != "timeout again" {
		t.Errorf("after the last attempt %+v", got)
	}
	// No retry time means no retry.
	c2 := enqueue(t, st, readCmd(dev, "/3/0/1"))
	claim(t, st, dev, now, c2.ID)
	got, err = q.Fail(ctx, c2.ID, "unreachable", time.Time{}, now)
	must(t, err)
	if got.State != models.CommandFailed {
		t.Errorf("fail without retry: %+v", got)
	}
}

func testCommandExpiry(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	q := st.Commands()
	dev, other := newDevice(t, st, "d"), newDevice(t, st, "o")
	c1 := readCmd(dev, "/3/0/1")
	c1.ExpiresAt = T0.Add(time.Minute)
	c1 = enqueue(t, st, c1)
	c2 := enqueue(t, st, readCmd(dev, "/3/0/2"))
	o1 := readCmd(other, "/3/0/3")
	o1.ExpiresAt = T0.Add(time.Minute)
	o1 = enqueue(t, st, o1)
	o2 := readCmd(other, "/3/0/4")
	o2.ExpiresAt = T0.Add(time.Hour)
	o2 = enqueue(t, st, o2)

	// On demand: claiming past the expiry expires the head and hands out the next.
	claim(t, st, dev, T0.Add(2*time.Minute), c2.ID)
	got, err := q.Get(ctx, c1.ID)
	must(t, err)
	if got.State != models.CommandExpired {
		t.Errorf("overdue head is %s, want expired", got.State)
	}
	// By sweep.
	n, err := q.Expire(ctx, T0.Add(2*time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("sweep expired %d, want 1", n)
	}
	got, err = q.Get(ctx, o1.ID)
	must(t, err)
	if got.State != models.CommandExpired {
		t.Errorf("swept command is %s", got.State)
	}
	got, err = q.Get(ctx, o2.ID)
	must(t, err)
	if got.State != models.CommandPending {
		t.Errorf("unexpired command is %s", got.State)
	}
	// A retry after the expiry is not scheduled.
	claim(t, st, other, T0.Add(2*time.Minute), o2.ID)
	got, err = q.Fail(ctx, o2.ID, "timeout", T0.Add(2*time.Hour), T0.Add(3*time.Minute))
	must(t, err)
	if got.State != models.CommandFailed {
		t.Errorf("retry past expiry: %s", got.State)
	}
}

func testCommandCancel(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	q := st.Commands()
	dev := newDevice(t, st, "d")
	c1 := enqueue(t, st, readCmd(dev, "/3/0/1"))
	c2 := enqueue(t, st, readCmd(dev, "/3/0/2"))
	c3 := enqueue(t, st, readCmd(dev, "/3/0/3"))
	got, err := q.Cancel(ctx, c2.ID, T0)
	must(t, err)
	if got.State != models.CommandCancelled {
		t.Errorf("cancelled %+v", got)
	}
	_, err = q.Cancel(ctx, c2.ID, T0)
	must(t, err) // idempotent
	claim(t, st, dev, time.Time{}, c1.ID)
	_, err = q.Complete(ctx, c1.ID, nil, T0)
	must(t, err)
	_, err = q.Cancel(ctx, c1.ID, T0)
	wantErr(t, err, dm.ErrConflict, "cancel a succeeded command")
	claim(t, st, dev, time.Time{}, c3.ID) // the cancelled one is skipped
	_, err = q.Cancel(ctx, c3.ID, T0)     // in flight can be cancelled
	must(t, err)
	c4 := enqueue(t, st, readCmd(dev, "/3/0/4"))
	c5 := enqueue(t, st, readCmd(dev, "/3/0/5"))
	claim(t, st, dev, time.Time{}, c4.ID)
	n, err := q.CancelDevice(ctx, dev, T0)
	must(t, err)
	if n != 2 {
		t.Errorf("CancelDevice cancelled %d, want 2", n)
	}
	got, err = q.Get(ctx, c5.ID)
	must(t, err)
	if got.State != models.CommandCancelled {
		t.Errorf("c5 is %s", got.State)
	}
	depth, err := q.Depth(ctx, dev)
	must(t, err)
	if depth != 0 {
		t.Errorf("depth %d after cancelling all", depth)
	}
}

func testCommandDepth(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t, func(o *storage.Options) { o.QueueDepth = 3 })
	q := st.Commands()
	dev := newDevice(t, st, "d")
	var ids []int64
	for range 3 {
		ids = append(ids, enqueue(t, st, readCmd(dev, "/3/0")).ID)
	}
	full := readCmd(dev, "/3/0")
	wantErr(t, q.Enqueue(ctx, &full), dm.ErrQueueFull, "fourth command")
	claim(t, st, dev, time.Time{}, ids[0])
	wantErr(t, q.Enqueue(ctx, &full), dm.ErrQueueFull, "a sent command still counts")
	_, err := q.Complete(ctx, ids[0], nil, T0)
	must(t, err)
	must(t, q.Enqueue(ctx, &full))
	depth, err := q.Depth(ctx, dev)
	must(t, err)
	if depth != 3 {
		t.Errorf("depth %d, want 3", depth)
	}
	// The default limit is 100.
	st2 := b.Fresh(t)
	dev2 := newDevice(t, st2, "d")
	for i := range 100 {
		c := readCmd(dev2, "/3/0")
		if err := st2.Commands().Enqueue(ctx, &c); err != nil {
			t.Fatalf("command %d: %v", i+1, err)
		}
	}
	c := readCmd(dev2, "/3/0")
	wantErr(t, st2.Commands().Enqueue(ctx, &c), dm.ErrQueueFull, "command 101")
}

func testCommandRestart(t *testing.T, b Backend) {
	ctx := t.Context()
	dsn := b.NewDSN(t)
	st := b.Open(t, dsn)
	dev := newDevice(t, st, "d")
	c1 := enqueue(t, st, readCmd(dev, "/3/0/1"))
	c2 := enqueue(t, st, readCmd(dev, "/3/0/2"))
	claim(t, st, dev, time.Time{}, c1.ID)
	st.Close() // the server goes away with c1 in flight

	st = b.Open(t, dsn)
	claim(t, st, dev, time.Time{}, 0) // still in flight until recovered
	n, err := st.Commands().Recover(ctx, T0)
	must(t, err)
	if n != 1 {
		t.Errorf("recovered %d, want 1", n)
	}
	got := claim(t, st, dev, time.Time{}, c1.ID) // delivered again, in order
	if got.Attempts != 2 {
		t.Errorf("attempts %d, want 2", got.Attempts)
	}
	_, err = st.Commands().Complete(ctx, c1.ID, nil, T0)
	must(t, err)
	claim(t, st, dev, time.Time{}, c2.ID)
}

func testCommandsByCustomer(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	a, c := models.Customer{Name: "a"}, models.Customer{Name: "c"}
	must(t, st.Customers().Create(ctx, &a))
	must(t, st.Customers().Create(ctx, &c))
	da := deviceNamed("da")
	da.CustomerID = a.ID
	must(t, st.Devices().Create(ctx, &da))
	dc := deviceNamed("dc")
	dc.CustomerID = c.ID
	must(t, st.Devices().Create(ctx, &dc))
	enqueue(t, st, readCmd(da.ID, "/3/0/1"))
	enqueue(t, st, readCmd(dc.ID, "/3/0/1"))
	enqueue(t, st, readCmd(dc.ID, "/3/0/2"))
	pg, err := st.Commands().List(ctx, dm.CommandFilter{CustomerID: c.ID}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 2 || pg.Items[0].DeviceID != dc.ID || pg.Items[1].DeviceID != dc.ID {
		t.Errorf("customer c's commands %+v", pg.Items)
	}
}
