package main

import (
	"context"
	"testing"
	"time"
)

// The echo scenario end to end on loopback: the generator's Updates from 50
// devices (distinct source addresses over shared sockets) are all answered
// 2.04 by the echo responder, and each answer completes one operation.
func TestEchoAnswersEveryUpdate(t *testing.T) {
	e, err := newEcho("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	f, err := newFleet(e.addr(), "t-", 50, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	r := f.run(rctx, updatePhase{echo: true}, 0)
	rcancel()
	if r.ok < 50 || r.failed != 0 {
		t.Fatalf("ok %d failed %d: want every device answered at least once and no failure", r.ok, r.failed)
	}
	if snap := r.lat.Snapshot(); snap.Count() != uint64(r.ok+r.failed) {
		t.Fatalf("%d latencies for %d answers", snap.Count(), r.ok+r.failed)
	}
}

func TestDeviceAddressesRoundTrip(t *testing.T) {
	for _, i := range []int{0, 1, 255, 256, 65535, 99999} {
		if got := devIndex(devAddr(i)); got != i {
			t.Fatalf("devIndex(devAddr(%d)) = %d (%v)", i, got, devAddr(i))
		}
	}
}
