package sim

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestErrorSamplesGroupByMessage(t *testing.T) {
	var e errorSamples
	for i := range 30 {
		ep := fmt.Sprintf("dev-%02d", i)
		e.add(ep, fmt.Errorf("register answered 4.03: endpoint %q must connect over DTLS", ep))
	}
	for i := range 12 {
		e.add("x", fmt.Errorf("distinct problem %d", i))
	}
	got := e.list()
	if len(got) != maxErrorSamples+1 || got[0].Count != 30 || got[0].Error != `register answered 4.03: endpoint "{endpoint}" must connect over DTLS` {
		t.Fatalf("samples %+v", got)
	}
	if last := got[len(got)-1]; last.Error != "other errors" || last.Count != 3 {
		t.Fatalf("overflow %+v", last)
	}
}

// TestStopperBatches: devices get one context per batch, in start order,
// and the paced stop cancels every one of them.
func TestStopperBatches(t *testing.T) {
	s := &stopper{base: context.Background(), size: 3}
	var ctxs []context.Context
	for range 7 {
		ctxs = append(ctxs, s.next())
	}
	if len(s.cancels) != 3 || ctxs[0] != ctxs[2] || ctxs[2] == ctxs[3] || ctxs[5] != ctxs[3] || ctxs[6] == ctxs[5] {
		t.Fatalf("%d batches for 7 devices of 3", len(s.cancels))
	}
	s.paced(1000)
	for i, ctx := range ctxs {
		if ctx.Err() == nil {
			t.Fatalf("device %d not stopped", i)
		}
	}
}

func TestProgressLine(t *testing.T) {
	if got := Progress(Snapshot{}, Snapshot{Phase: PhaseProvisioning}); got != "provisioning …" {
		t.Errorf("provisioning: %q", got)
	}
	var h Histogram
	h.Record(2 * time.Millisecond)
	cur := Snapshot{Phase: PhaseRunning, Elapsed: 2 * time.Second, Devices: 10, Started: 10, Registered: 9, Online: 8, Asleep: 1,
		Counters: Counters{Registrations: 9, Notifications: 40, Errors: 1}, Latency: map[string]HistSnapshot{"register": h.Snapshot()}}
	prev := Snapshot{Elapsed: time.Second, Counters: Counters{Notifications: 20}}
	want := "   2.0s started 10/10 registered 9 online 8 asleep 1 | reg/s 9 upd/s 0 notif/s 20 send/s 0 errors 1 | p50/p99 reg 2.0ms/2.0ms req -"
	if got := Progress(prev, cur); got != want {
		t.Errorf("progress\n got %q\nwant %q", got, want)
	}
	cur.Phase = PhaseStopping
	if got := Progress(prev, cur); got != "stopping "+want {
		t.Errorf("stopping: %q", got)
	}
}
