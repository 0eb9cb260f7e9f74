package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// limitedRegister registers only the devices below limit.
type limitedRegister struct {
	registerPhase
	from, limit int
}

func (l limitedRegister) next(d *device) []byte {
	if d.idx < l.from || d.idx >= l.limit {
		return nil
	}
	return l.registerPhase.next(d)
}

// 6: RSS of the server after registering 10k, 50k and 100k raw UDP
// devices (cumulatively, on one server), less the RSS before the first;
// then, on a fresh server, DTLS fleets of shoal-sim devices holding their
// sessions, RSS sampled just before the fleet stops.
func (h *harness) memory(ctx context.Context, sc *Scenario) error {
	if err := h.memoryUDP(ctx, sc); err != nil {
		return err
	}
	for _, n := range h.sz.dtlsMemory {
		if err := h.memoryDTLS(ctx, sc, n); err != nil {
			sc.Notes = append(sc.Notes, fmt.Sprintf("DTLS %d: not run: %v", n, err))
		}
	}
	return nil
}

func (h *harness) memoryUDP(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, "UDP")
	sizes := h.sz.udpMemory
	top := sizes[len(sizes)-1]
	f, err := newFleet(s.coap, "mem-", top, nsocks)
	if err != nil {
		return err
	}
	defer f.close()
	debug.FreeOSMemory()
	time.Sleep(2 * time.Second)
	base := s.proc().rss
	sc.Commands = append(sc.Commands, h.serveCmd(s), genCmd(fmt.Sprintf("Register in steps to %v, RSS of the server after each step settles", sizes), top, ""))
	c, err := openCounter(s.dsn)
	if err != nil {
		return err
	}
	defer c.close()
	m := h.begin(ctx, s, sc, 10)
	from := 0
	for _, n := range sizes {
		r := f.run(ctx, limitedRegister{registerPhase{lifetime: 3600}, from, n}, 64)
		c.settle(ctx, "registrations", int64(n), 3*time.Second, 60*time.Second)
		time.Sleep(2 * time.Second)
		rss := s.proc().rss
		fig := sc.add(fmt.Sprintf("UDP %d devices: RSS per device", n), float64(rss-base)/float64(n)/1024, "KiB").atMost(8, "≤ 8 KiB")
		_ = fig
		sc.add(fmt.Sprintf("UDP %d devices: server RSS", n), float64(rss)/(1<<20), "MiB")
		if r.failed > 0 {
			sc.Notes = append(sc.Notes, fmt.Sprintf("UDP %d: %d Registers refused", n, r.failed))
		}
		from = n
	}
	if top >= 100000 {
		sc.add("100,000 registered devices on one node", float64(f.countRegistered()), "devices").atLeast(100000, "100,000")
	}
	m.end(sc)
	return nil
}

func (f *fleet) countRegistered() int {
	k := 0
	for i := range f.devs {
		if f.devs[i].loc != nil {
			k++
		}
	}
	return k
}

func (h *harness) memoryDTLS(ctx context.Context, sc *Scenario, n int) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, fmt.Sprintf("DTLS %d devices", n))
	time.Sleep(2 * time.Second)
	base := s.proc().rss
	ramp := 1000
	hold := time.Duration(n/ramp)*time.Second*3 + 30*time.Second
	var samples []int64
	sum, line, err := h.simFleet(ctx, s, []string{"-n", fmt.Sprint(n), "--prefix", "dmem-", "--ramp", fmt.Sprintf("%d/s", ramp),
		"--lifetime", "1h", "--duration", hold.String()}, func() { samples = append(samples, s.proc().rss) })
	sc.Commands = append(sc.Commands, h.serveCmd(s), line)
	if err != nil {
		return err
	}
	if sum.AllRegisteredAfterS == nil {
		return fmt.Errorf("%d of %d registered within %v", sum.EverRegistered, n, hold)
	}
	// The sample a second or two before the stop: every device registered.
	at := int(sum.DurationS) - 2
	if at >= len(samples) || at < 0 {
		at = len(samples) - 1
	}
	rss := samples[at]
	sc.add(fmt.Sprintf("DTLS %d devices: RSS per device", n), float64(rss-base)/float64(n)/1024, "KiB").atMost(24, "≤ 24 KiB")
	sc.add(fmt.Sprintf("DTLS %d devices: server RSS", n), float64(rss)/(1<<20), "MiB")
	sc.add(fmt.Sprintf("DTLS %d devices: all registered after", n), *sum.AllRegisteredAfterS, "s")
	return nil
}
