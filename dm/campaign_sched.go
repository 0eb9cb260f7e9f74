package dm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// transition changes a campaign's state for an operator: start (a new
// campaign), pause, resume or cancel. A transition the state does not
// allow is ErrConflict; repeating the current state is a no-op.
func (e *fwEngine) transition(ctx context.Context, who Principal, id int64, verb string) (CampaignView, error) {
	e.campMu.Lock()
	c, err := e.st.Campaigns.Get(ctx, id)
	if err != nil {
		e.campMu.Unlock()
		return CampaignView{}, err
	}
	from := c.State
	now := e.s.now()
	var to models.CampaignState
	switch verb {
	case "start", "resume":
		to = models.CampaignRunning
	case "pause":
		to = models.CampaignPaused
	case "cancel":
		to = models.CampaignCancelled
	}
	ok := from == to ||
		to == models.CampaignRunning && (from == models.CampaignDraft || from == models.CampaignPaused) ||
		to == models.CampaignPaused && from == models.CampaignRunning ||
		to == models.CampaignCancelled && (from == models.CampaignDraft || from == models.CampaignRunning || from == models.CampaignPaused)
	if !ok {
		e.campMu.Unlock()
		return CampaignView{}, fmt.Errorf("%w: campaign %d is %s; it cannot %s", ErrConflict, id, from, verb)
	}
	if from != to {
		c.State, c.StateReason = to, ""
		switch to {
		case models.CampaignRunning:
			if c.StartedAt.IsZero() {
				c.StartedAt = now
			}
			counts, err := e.st.Campaigns.Counts(ctx, id)
			if err != nil {
				e.campMu.Unlock()
				return CampaignView{}, err
			}
			c.FailureBase = counts[models.CampaignDeviceFailed]
		case models.CampaignPaused:
			c.StateReason = "paused by " + who.Actor()
		case models.CampaignCancelled:
			c.StateReason, c.FinishedAt = "cancelled by "+who.Actor(), now
		}
		if err := e.st.Campaigns.Update(ctx, &c); err != nil {
			e.campMu.Unlock()
			return CampaignView{}, err
		}
		e.applyState(ctx, c)
		e.s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: "campaign." + verbEvent(verb), Actor: who.Actor(),
			Data: jsonOf(map[string]any{"campaign_id": id, "name": c.Name, "from": from, "to": to})})
	}
	e.campMu.Unlock()
	e.poke()
	return e.view(ctx, c)
}

func verbEvent(verb string) string {
	switch verb {
	case "start":
		return "started"
	case "pause":
		return "paused"
	case "resume":
		return "resumed"
	}
	return "cancelled"
}

// applyState brings the scheduler's copy of a campaign up to date after
// its row changed (e.campMu held): running and paused campaigns are
// scheduled, a cancelled one's pending devices are cancelled and its
// downloads under way stopped.
func (e *fwEngine) applyState(ctx context.Context, c models.Campaign) {
	var cancel []*fwJob
	e.mu.Lock()
	switch c.State {
	case models.CampaignRunning, models.CampaignPaused:
		cr := e.camps[c.ID]
		if cr == nil {
			img, err := e.st.Images.Get(ctx, c.ImageID)
			if err != nil {
				e.mu.Unlock()
				e.s.log.Error().Err(err).Int64("campaign", c.ID).Msg("dm: loading a campaign's image")
				return
			}
			cr = &campRun{img: img}
			e.camps[c.ID] = cr
			for _, j := range e.jobs {
				if j.row.CampaignID == c.ID {
					cr.active++
				}
			}
		}
		cr.c = c
	default:
		delete(e.camps, c.ID)
		if c.State == models.CampaignCancelled {
			for _, j := range e.jobs {
				if j.row.CampaignID == c.ID {
					j.cancel = true
					cancel = append(cancel, j)
				}
			}
		}
	}
	e.mu.Unlock()
	if c.State == models.CampaignCancelled {
		if _, err := e.st.Jobs.FinishPending(ctx, c.ID, models.CampaignDeviceCancelled, ReasonCampaignCancel, e.s.now()); err != nil {
			e.s.log.Error().Err(err).Int64("campaign", c.ID).Msg("dm: cancelling a campaign's devices")
		}
	}
	for _, j := range cancel {
		e.kick(j)
	}
}

// tick schedules every running campaign.
func (e *fwEngine) tick(ctx context.Context) {
	e.mu.Lock()
	loaded := e.loaded
	e.mu.Unlock()
	if !loaded {
		if err := e.load(ctx); err != nil {
			if ctx.Err() == nil {
				e.s.log.Error().Err(err).Msg("dm: firmware: loading campaigns")
			}
			return
		}
	}
	e.mu.Lock()
	ids := slices.Sorted(maps.Keys(e.camps))
	woken := e.woken
	e.woken = map[int64]bool{}
	e.mu.Unlock()
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		e.schedule(ctx, id, woken)
	}
}

// schedule starts as many of a running campaign's pending devices as its
// concurrency allows, wave by wave, after its start time and before its
// stop time; it pauses the campaign when failures pass the threshold and
// completes it when no device is left.
func (e *fwEngine) schedule(ctx context.Context, id int64, woken map[int64]bool) {
	e.campMu.Lock()
	defer e.campMu.Unlock()
	e.mu.Lock()
	cr := e.camps[id]
	var c models.Campaign
	if cr != nil {
		c = cr.c
	}
	e.mu.Unlock()
	if cr == nil || c.State != models.CampaignRunning {
		return
	}
	now := e.s.now()
	if !c.StartAfter.IsZero() && now.Before(c.StartAfter) {
		return
	}
	fail := func(err error) {
		if ctx.Err() == nil {
			e.s.log.Error().Err(err).Int64("campaign", id).Msg("dm: scheduling a campaign")
		}
	}
	// Active jobs are counted before the failures: a job saves its final
	// row before it leaves the active set, so a device that fails between
	// the two reads is seen failed rather than as a free slot (which would
	// start another device past the threshold).
	active := e.activeOf(id)
	counts, err := e.st.Campaigns.Counts(ctx, id)
	if err != nil {
		fail(err)
		return
	}
	if failed := counts[models.CampaignDeviceFailed] - c.FailureBase; c.FailureThreshold > 0 && failed > int64(c.FailureThreshold) {
		e.setState(ctx, c, models.CampaignPaused, fmt.Sprintf("%d devices failed, more than the failure threshold of %d", failed, c.FailureThreshold))
		return
	}
	wave, left, err := e.st.Jobs.NextWave(ctx, id)
	if err != nil {
		fail(err)
		return
	}
	stopped := !c.StopAfter.IsZero() && !now.Before(c.StopAfter)
	switch {
	case !left && active == 0 && c.ProfileID == 0:
		e.setState(ctx, c, models.CampaignCompleted, summary(counts))
		return
	case !left:
		return
	case stopped && active == 0 && c.ProfileID == 0:
		if _, err := e.st.Jobs.FinishPending(ctx, id, models.CampaignDeviceCancelled, ReasonStopTime, now); err != nil {
			fail(err)
			return
		}
		if counts, err = e.st.Campaigns.Counts(ctx, id); err != nil {
			fail(err)
			return
		}
		e.setState(ctx, c, models.CampaignCompleted, "the stop time passed: "+summary(counts))
		return
	case stopped:
		return
	}
	if wave != c.Wave || wave > 0 && c.WaveReadyAt.IsZero() {
		c.Wave, c.WaveReadyAt = wave, now
		if wave > 0 {
			c.WaveReadyAt = now.Add(c.WaveDelay.D())
		}
		if err := e.st.Campaigns.Update(ctx, &c); err != nil {
			fail(err)
			return
		}
		e.mu.Lock()
		cr.c, cr.cursor = c, 0
		e.mu.Unlock()
	}
	if now.Before(c.WaveReadyAt) {
		return
	}
	free := c.Concurrency - active
	for devID := range woken {
		if free <= 0 {
			return
		}
		r, err := e.st.Jobs.GetDevice(ctx, id, devID)
		if err != nil || r.State != models.CampaignDevicePending || r.Wave != wave || now.Before(r.NextAttemptAt) {
			continue
		}
		if e.start(cr, r, now) {
			free--
		}
	}
	e.scan(ctx, cr, wave, free, now)
}

// scan looks through a campaign's pending devices of the wave, from where
// the last scan stopped, and starts the reachable ones while slots are
// free; at most ScanLimit rows per call.
func (e *fwEngine) scan(ctx context.Context, cr *campRun, wave, free int, now time.Time) {
	e.mu.Lock()
	after, id := cr.cursor, cr.c.ID
	e.mu.Unlock()
	wrapped := after == 0
	for seen := 0; free > 0 && seen < e.cfg.ScanLimit; {
		rows, err := e.st.Jobs.Pending(ctx, id, wave, after, now, min(200, e.cfg.ScanLimit))
		if err != nil {
			if ctx.Err() == nil {
				e.s.log.Error().Err(err).Int64("campaign", id).Msg("dm: listing a campaign's pending devices")
			}
			return
		}
		if len(rows) == 0 {
			if wrapped {
				after = 0
				break
			}
			after, wrapped = 0, true
			continue
		}
		for _, r := range rows {
			after = r.DeviceID
			seen++
			if e.start(cr, r, now) {
				free--
				if free == 0 {
					break
				}
			}
		}
	}
	e.mu.Lock()
	cr.cursor = after
	e.mu.Unlock()
}

// start begins a job for a pending row when the device is reachable and
// not being updated by another campaign.
func (e *fwEngine) start(cr *campRun, r models.CampaignDevice, now time.Time) bool {
	if !e.s.rt.presence.reachable(r.Endpoint, now) {
		e.mu.Lock()
		e.waiting[r.Endpoint] = r.DeviceID
		e.mu.Unlock()
		return false
	}
	e.mu.Lock()
	if _, busy := e.jobs[r.DeviceID]; busy || e.closed {
		e.mu.Unlock()
		return false
	}
	j := newJob(r, cr)
	e.addLocked(j)
	e.mu.Unlock()
	e.kick(j)
	return true
}

// setState moves a campaign to a state of the scheduler's choosing
// (paused, completed) with the reason (e.campMu held).
func (e *fwEngine) setState(ctx context.Context, c models.Campaign, to models.CampaignState, reason string) {
	from := c.State
	c.State, c.StateReason = to, reason
	if to == models.CampaignCompleted {
		c.FinishedAt = e.s.now()
	}
	if err := e.st.Campaigns.Update(ctx, &c); err != nil {
		e.s.log.Error().Err(err).Int64("campaign", c.ID).Msg("dm: changing a campaign's state")
		return
	}
	e.applyState(ctx, c)
	typ := "campaign." + string(to)
	e.s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: typ,
		Data: jsonOf(map[string]any{"campaign_id": c.ID, "name": c.Name, "from": from, "to": to, "reason": reason})})
}

// summary counts a campaign's devices by state, in a fixed order.
func summary(counts map[models.CampaignDeviceState]int64) string {
	var parts []string
	for _, st := range []models.CampaignDeviceState{models.CampaignDeviceSucceeded, models.CampaignDeviceFailed,
		models.CampaignDeviceSkipped, models.CampaignDeviceCancelled} {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		return "no devices"
	}
	return strings.Join(parts, ", ")
}
