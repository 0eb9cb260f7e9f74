package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/sim"
)

const nsocks = 4

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func genCmd(what string, n int, extra string) string {
	return fmt.Sprintf("(harness load generator) %s: %d raw UDP devices from 127.16.0.1…, %d shared sockets, one request outstanding per device%s", what, n, nsocks, extra)
}

// 1: N devices register once each, 64 outstanding per socket; persisted is
// the registrations table's count once writes settle.
func (h *harness) register(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, "")
	n := h.sz.register
	f, err := newFleet(s.coap, "reg-", n, nsocks)
	if err != nil {
		return err
	}
	defer f.close()
	sc.Commands = []string{h.serveCmd(s), genCmd("Register (lt=3600, b=U, 3 links)", n, ", 64 in flight per socket")}
	m := h.begin(ctx, s, sc, int(max(5, n/5000)))
	r := f.run(ctx, registerPhase{lifetime: 3600}, 64)
	c, err := openCounter(s.dsn)
	if err != nil {
		return err
	}
	defer c.close()
	persisted := c.settle(ctx, "registrations", int64(n), 3*time.Second, 60*time.Second)
	persistedAfter := time.Since(m.began)
	m.end(sc)
	snap := r.lat.Snapshot()
	sc.add("registrations/s (answered)", float64(r.ok)/r.elapsed.Seconds(), "/s").atLeast(10000, "≥ 10,000/s")
	sc.add("Register p50", ms(snap.Quantile(0.5)), "ms")
	sc.add("Register p99", ms(snap.Quantile(0.99)), "ms")
	sc.add("answered 2.01", float64(r.ok), "devices")
	sc.add("refused or failed", float64(r.failed), "devices")
	sc.add("persisted (rows in registrations)", float64(persisted), "rows").atLeast(float64(n), fmt.Sprintf("%d", n))
	sc.add("all persisted after", persistedAfter.Seconds(), "s")
	sc.add("retransmissions", float64(f.retransmits.Load()), "")
	return nil
}

// 2: updateDevs devices register, then send Updates for the storm's length;
// the same generator then sends the same requests to the echo responder.
func (h *harness) updateStorm(ctx context.Context, sc *Scenario) error {
	echo, err := h.echoCeiling(ctx, sc)
	if err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, "")
	n := h.sz.updateDevs
	f, err := newFleet(s.coap, "upd-", n, nsocks)
	if err != nil {
		return err
	}
	defer f.close()
	sc.Commands = append([]string{h.serveCmd(s), genCmd(fmt.Sprintf("Register, then Update (empty POST /rd/{id}) for %v", h.sz.storm), n, "")}, sc.Commands...)
	if r := f.run(ctx, registerPhase{lifetime: 3600}, 64); r.ok != int64(n) {
		return fmt.Errorf("only %d of %d devices registered", r.ok, n)
	}
	m := h.begin(ctx, s, sc, int(h.sz.storm.Seconds()))
	sctx, cancel := context.WithTimeout(ctx, h.sz.storm)
	r := f.run(sctx, updatePhase{}, 0)
	cancel()
	m.end(sc)
	rate := float64(r.ok) / r.elapsed.Seconds()
	snap := r.lat.Snapshot()
	sc.add("updates/s", rate, "/s").ratio(echo)
	ok := rate/echo >= 0.5
	sc.Figures[len(sc.Figures)-1].Target, sc.Figures[len(sc.Figures)-1].Pass = "≥ ½ echo", &ok
	sc.add("Update p50", ms(snap.Quantile(0.5)), "ms")
	sc.add("Update p99", ms(snap.Quantile(0.99)), "ms")
	sc.add("failed", float64(r.failed), "")
	return nil
}

// echoCeiling runs the update storm's generator against the echo responder.
func (h *harness) echoCeiling(ctx context.Context, sc *Scenario) (float64, error) {
	e, err := newEcho("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	ectx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- e.Serve(ectx) }()
	defer func() { cancel(); <-served }()
	n := h.sz.updateDevs
	f, err := newFleet(e.addr(), "echo-", n, nsocks)
	if err != nil {
		return 0, err
	}
	defer f.close()
	sctx, scancel := context.WithTimeout(ctx, h.sz.storm)
	r := f.run(sctx, updatePhase{echo: true}, 0)
	scancel()
	rate := float64(r.ok) / r.elapsed.Seconds()
	snap := r.lat.Snapshot()
	sc.Commands = append(sc.Commands, genCmd(fmt.Sprintf("the same Updates to the raw-UDP CoAP echo responder (ACK 2.04, same token; 2 goroutines, recvmmsg/sendmmsg) for %v", h.sz.storm), n, ""))
	sc.add("echo ceiling (requests/s)", rate, "/s")
	sc.add("echo p50", ms(snap.Quantile(0.5)), "ms")
	sc.add("echo p99", ms(snap.Quantile(0.99)), "ms")
	h.echo = rate
	return rate, nil
}

// benchProfile observes /3303/0/5700 on every device and stores it as
// telemetry "temperature".
var benchProfile = map[string]any{
	"name": "bench",
	"spec": map[string]any{
		"observe":   map[string]any{"strategy": "single", "targets": []map[string]any{{"path": "/3303/0/5700"}}},
		"telemetry": []map[string]any{{"path": "/3303/0/5700", "name": "temperature"}},
	},
}

// 3 (and 5): notifyDevs devices provisioned with the bench profile
// register and are observed; then each sends CON notifications as fast as
// they are acknowledged (512 outstanding per socket) for the storm's length.
// Time to storage: the telemetry table's row count is polled every 20 ms;
// the k-th notification sent counts as stored when the count passes k.
func (h *harness) notifyStorm(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, "")
	n := h.sz.notifyDevs
	if err := api(ctx, s, "POST", "/profiles", benchProfile, nil); err != nil {
		return err
	}
	devs := make([]sim.Device, n)
	for i := range devs {
		devs[i] = sim.Device{Endpoint: fmt.Sprintf("obs-%d", i), Security: "nosec"}
	}
	prov := &sim.APIProvisioner{BaseURL: "http://" + s.http, Token: adminToken, Profile: "bench"}
	if _, err := prov.Provision(ctx, devs); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	f, err := newFleet(s.coap, "obs-", n, nsocks)
	if err != nil {
		return err
	}
	defer f.close()
	sc.Commands = []string{h.serveCmd(s), "POST /api/v1/profiles (observe /3303/0/5700, telemetry \"temperature\"); POST /api/v1/devices/import (nosec, profile bench)",
		genCmd(fmt.Sprintf("Register, answer the Observe, then CON notifications (text) for %v", h.sz.storm), n, ", 512 in flight per socket")}
	if r := f.run(ctx, registerPhase{lifetime: 3600}, 64); r.ok != int64(n) {
		return fmt.Errorf("only %d of %d devices registered", r.ok, n)
	}
	observed := func() int {
		k := 0
		for i := range f.devs { // read racily on purpose: a progress count
			if f.devs[i].obsTok != nil {
				k++
			}
		}
		return k
	}
	octx, ocancel := context.WithTimeout(ctx, 120*time.Second)
	f.idle(octx, func() bool { return observed() == n })
	ocancel()
	sc.add("devices observed", float64(observed()), "devices").atLeast(float64(n), fmt.Sprint(n))
	c, err := openCounter(s.dsn)
	if err != nil {
		return err
	}
	defer c.close()
	base := c.settle(ctx, "telemetry", 0, 2*time.Second, 30*time.Second)

	var sent atomic.Int64
	times := make([]int64, 4_000_000)
	type poll struct {
		at    int64
		count int64
	}
	polls := make(chan []poll, 1)
	pctx, pcancel := context.WithCancel(ctx)
	go func() {
		var ps []poll
		for pctx.Err() == nil {
			k, err := c.count(pctx, "telemetry")
			if err == nil {
				ps = append(ps, poll{time.Now().UnixNano(), k - base})
			}
			time.Sleep(20 * time.Millisecond)
		}
		polls <- ps
	}()
	m := h.begin(ctx, s, sc, int(h.sz.storm.Seconds()))
	sctx, scancel := context.WithTimeout(ctx, h.sz.storm)
	r := f.run(sctx, notifyPhase{sent: &sent, times: times}, 512)
	scancel()
	// Keep answering while the server drains, then count what arrived.
	stored := c.settle(ctx, "telemetry", base+r.ok, 3*time.Second, 60*time.Second) - base
	pcancel()
	ps := <-polls
	m.end(sc)
	rate := float64(r.ok) / r.elapsed.Seconds()
	sc.add("notifications/s acknowledged", rate, "/s").ratio(h.echo).atLeast(30000, "≥ 30,000/s")
	snap := r.lat.Snapshot()
	sc.add("notification ACK p99", ms(snap.Quantile(0.99)), "ms")
	sc.add("notifications acknowledged", float64(r.ok), "")
	sc.add("rows stored (telemetry)", float64(stored), "rows")
	sc.add("lost (acknowledged − stored)", float64(max(0, r.ok-stored)), "").atMost(0, "0")
	// Send → stored: walk the polls against the send times.
	hist := &sim.Histogram{}
	var k int64
	total := min(sent.Load(), int64(len(times)), stored)
	for _, p := range ps {
		for ; k < min(p.count, total); k++ {
			hist.Record(time.Duration(p.at - times[k]))
		}
	}
	hs := hist.Snapshot()
	sc.add("send → stored p50", ms(hs.Quantile(0.5)), "ms")
	sc.add("send → stored p99", ms(hs.Quantile(0.99)), "ms").atMost(20, "< 20 ms")
	sc.Notes = append(sc.Notes, "send → stored is read off the telemetry row count polled every 20 ms (resolution 20 ms plus the count query), assuming rows land in send order")

	if h.wanted(5) {
		rest := Scenario{ID: 5, Name: "REST read of an awake device at fixed rates", LoadAvg: loadAvg()[0]}
		t0 := time.Now()
		if err := h.restReads(ctx, s, f, &rest); err != nil {
			rest.NotRun = err.Error()
		}
		rest.Seconds = time.Since(t0).Round(time.Second).Seconds()
		h.rest = &rest
	}
	return nil
}
