package sim

import (
	"context"
	"fmt"
	"testing"
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
