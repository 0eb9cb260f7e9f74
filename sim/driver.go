package sim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// driveTick is how often the driver hands out the scenario's actions.
const driveTick = 10 * time.Millisecond

// pace turns a rate into whole actions per tick, carrying the fraction.
type pace struct {
	rate float64 // per second
	owed float64
}

func (p *pace) due(dt time.Duration) int {
	p.owed += p.rate * dt.Seconds()
	n := int(p.owed)
	p.owed -= float64(n)
	return n
}

// drive runs the scenario until ctx ends: simulation steps (ChangeRate),
// Sends (SendRate) and Registration Updates (every UpdateInterval per
// device), each handed to devices in turn.
func (f *Fleet) drive(ctx context.Context, st *stats, sends *sync.WaitGroup) {
	changes := pace{rate: f.cfg.ChangeRate}
	sendp := pace{rate: f.cfg.SendRate}
	var updates pace
	if f.cfg.UpdateInterval > 0 {
		updates.rate = float64(len(f.devs)) / f.cfg.UpdateInterval.Seconds()
	}
	if changes.rate == 0 && sendp.rate == 0 && updates.rate == 0 {
		return
	}
	slots := make(chan struct{}, f.cfg.MaxSendsInFlight)
	var changeAt, sendAt, updateAt int
	ticker := time.NewTicker(driveTick)
	defer ticker.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			dt := now.Sub(last)
			last = now
			for range changes.due(dt) {
				i, ok := f.nextRegistered(&changeAt)
				if !ok {
					break
				}
				f.members[i].c.Load().Tick()
				st.counters.changes.Add(1)
			}
			for range sendp.due(dt) {
				i, ok := f.nextRegistered(&sendAt)
				if !ok {
					st.counters.sendsSkipped.Add(1)
					continue
				}
				select {
				case slots <- struct{}{}:
				default:
					st.counters.sendsSkipped.Add(1)
					continue
				}
				sends.Go(func() {
					defer func() { <-slots }()
					f.send(ctx, st, i)
				})
			}
			for range updates.due(dt) {
				i := updateAt % len(f.devs)
				updateAt++
				if f.members[i].state.Load()&stRegistered == 0 {
					continue
				}
				f.members[i].c.Load().TriggerUpdate()
				st.counters.updatesAsked.Add(1)
			}
		}
	}
}

// maxProbe bounds the search for a registered device per action.
const maxProbe = 64

// nextRegistered returns the next registered device after *cursor.
func (f *Fleet) nextRegistered(cursor *int) (int, bool) {
	for range min(maxProbe, len(f.devs)) {
		i := *cursor % len(f.devs)
		*cursor = i + 1
		if f.members[i].state.Load()&stRegistered != 0 {
			return i, true
		}
	}
	return 0, false
}

// send asks device i for a Send of the configured paths.
func (f *Fleet) send(ctx context.Context, st *stats, i int) {
	c := f.members[i].c.Load()
	sctx, cancel := context.WithTimeout(ctx, 2*f.cfg.RequestTimeout)
	defer cancel()
	err := c.SendNow(sctx, f.cfg.SendPaths...)
	switch {
	case err == nil: // counted by the Sent event
		return
	case ctx.Err() != nil:
		st.counters.sendsCancelled.Add(1)
		return
	}
	st.counters.sendFailures.Add(1)
	st.counters.errors.Add(1)
	if !strings.HasPrefix(err.Error(), "send") {
		err = fmt.Errorf("send: %w", err)
	}
	st.errs.add(f.devs[i].Endpoint, err)
}
