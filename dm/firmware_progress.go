package dm

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// resetGrace is how long after a Package URI or image was written an idle
// state with no result is taken as "not started yet" rather than as the
// device having dropped the download.
const resetGrace = 5 * time.Second

// current returns the status to decide on: the notified one, else a read
// when one is due (forced, or PollInterval since the last); ok is false
// when there is nothing new to decide on or the read failed (handled).
func (e *fwEngine) current(ctx context.Context, j *fwJob, st *fwStatus, force bool) (fwStatus, bool) {
	if st != nil && !force {
		return *st, true
	}
	if !force && e.s.now().Sub(j.lastRead) < e.cfg.PollInterval {
		return fwStatus{}, false
	}
	s, bad, err := e.readStatus(ctx, j)
	switch {
	case err != nil && j.row.State == models.CampaignDeviceUpdating:
		// Rebooting devices do not answer; the deadline decides.
		return fwStatus{}, false
	case err != nil:
		e.exchangeFailed(ctx, j, "reading /5/0", err)
		return fwStatus{}, false
	case bad != nil:
		e.refused(ctx, j, "reading /5/0", bad)
		return fwStatus{}, false
	}
	return s, true
}

// downloading decides on a job whose device is getting the image.
func (e *fwEngine) downloading(ctx context.Context, j *fwJob, st *fwStatus, force bool) {
	s, ok := e.current(ctx, j, st, force)
	if !ok {
		return
	}
	if reason, detail := s.check(); reason != "" {
		e.finish(ctx, j, models.CampaignDeviceFailed, reason, detail)
		return
	}
	switch s.state {
	case fwDownloading:
		e.mu.Lock()
		served := j.served
		e.mu.Unlock()
		if served > 0 {
			j.row.Detail = fmt.Sprintf("downloading: %d of %d bytes served", served, j.img.Size)
		}
	case fwDownloaded:
		e.dropToken(j)
		j.row.State, j.row.Detail = models.CampaignDeviceDownloaded, s.String()
		e.save(ctx, j)
		e.stageEvent(ctx, j, "firmware.downloaded", nil)
		e.install(ctx, j)
	case fwUpdating:
		e.dropToken(j)
		j.row.State, j.row.Detail = models.CampaignDeviceUpdating, s.String()
		j.row.Deadline = e.stageDeadline(j, e.cfg.UpdateTimeout)
		e.save(ctx, j)
	case fwIdle:
		r := UpdateResult(s.result)
		switch {
		case r == ResultInitial && e.s.now().Sub(j.lastWrite) < resetGrace:
			// Not started yet.
		case r.Reason() != "":
			e.retryOrFail(ctx, j, r.Reason(), fmt.Sprintf("result %d: %s", s.result, r))
		case r == ResultSuccess:
			e.confirm(ctx, j, nil, true)
		default:
			e.retryOrFail(ctx, j, ReasonReset, "the device went back to idle during the download ("+s.String()+")")
		}
	}
}

// install executes Update (/5/0/2) on a device holding the image.
func (e *fwEngine) install(ctx context.Context, j *fwJob) {
	if now := e.s.now(); now.Before(j.row.NextAttemptAt) {
		return // deferred by the device: the timer brings the job back
	}
	e.mu.Lock()
	reg := j.reg
	e.mu.Unlock()
	if reg == "" {
		if r, ok := e.s.liveRegistration(ctx, j.ep); ok {
			reg = r.ID
		}
	}
	resp, err := e.send(ctx, j, lwm2m.NewRequest(lwm2m.OpExecute, pathFwUpdate))
	switch {
	case err != nil && unreachable(err):
		return
	case err != nil && ctx.Err() != nil:
		return
	case err == nil && resp.Code == lwm2m.CodeMethodNotAllowed:
		// Not (or no longer) downloaded: see what the device says.
		e.downloading(ctx, j, nil, true)
		return
	case err == nil && !resp.Code.IsSuccess():
		e.refused(ctx, j, "executing Update", &resp)
		return
	}
	// A device may reboot before its answer gets out: a timeout counts as
	// executed, and the new registration or the deadline tells.
	j.execReg = reg
	j.row.State, j.row.NextAttemptAt = models.CampaignDeviceUpdating, time.Time{}
	j.row.Deadline = e.stageDeadline(j, e.cfg.UpdateTimeout)
	j.row.Detail = "Update executed, waiting for the device to install and come back"
	e.save(ctx, j)
	e.stageEvent(ctx, j, "firmware.updating", nil)
}

// confirm decides on a job whose device is installing: success needs the
// new version in /3/0/3 (or /5/0/7) after result 1, or after the device
// came back with a clean state.
func (e *fwEngine) confirm(ctx context.Context, j *fwJob, st *fwStatus, force bool) {
	s, ok := e.current(ctx, j, st, force || st != nil)
	if !ok {
		return
	}
	if reason, detail := s.check(); reason != "" {
		e.finish(ctx, j, models.CampaignDeviceFailed, reason, detail)
		return
	}
	if s.state == fwUpdating || s.state == fwDownloading {
		return
	}
	ver, err := e.readVersion(ctx, j)
	if err != nil {
		return
	}
	e.mu.Lock()
	reg := j.reg
	e.mu.Unlock()
	back := j.execReg != "" && reg != "" && reg != j.execReg
	runs := ver == j.img.Version || s.pkgVersion == j.img.Version && ver == ""
	r := UpdateResult(s.result)
	switch {
	case r == ResultSuccess && (ver == j.img.Version || s.pkgVersion == j.img.Version):
		j.row.ToVersion = ver
		e.finish(ctx, j, models.CampaignDeviceSucceeded, "", fmt.Sprintf("runs %s (%s)", orNone(ver), s))
	case r == ResultSuccess:
		j.row.ToVersion = ver
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonVersionMismatch,
			fmt.Sprintf("the device reported success but runs %s (package version %s), not %q", orNone(ver), orNone(s.pkgVersion), j.img.Version))
	case r == ResultDeferred:
		j.row.Attempts++
		if j.row.Attempts > e.maxAttempts(j) {
			e.finish(ctx, j, models.CampaignDeviceFailed, ReasonDeferred, "the device deferred the update "+fmt.Sprint(j.row.Attempts-1)+" times")
			return
		}
		j.row.State, j.row.Detail = models.CampaignDeviceDownloaded, "the device deferred the update"
		j.row.NextAttemptAt = e.s.now().Add(backoff(e.retryPolicy(), j.row.Attempts-1))
		e.save(ctx, j)
	case r.Reason() != "":
		j.row.ToVersion = ver
		e.finish(ctx, j, models.CampaignDeviceFailed, r.Reason(), fmt.Sprintf("result %d: %s; the device runs %s", s.result, r, orNone(ver)))
	case runs:
		j.row.ToVersion = ver
		e.finish(ctx, j, models.CampaignDeviceSucceeded, "", fmt.Sprintf("runs %s (%s)", orNone(ver), s))
	case s.state == fwDownloaded:
		// Back to downloaded without a result: install again, within the
		// attempt limit.
		j.row.Attempts++
		if j.row.Attempts > e.maxAttempts(j) {
			e.finish(ctx, j, models.CampaignDeviceFailed, ResultUpdateFailed.Reason(), "the device kept returning to downloaded ("+s.String()+")")
			return
		}
		j.row.State = models.CampaignDeviceDownloaded
		e.save(ctx, j)
		e.install(ctx, j)
	case back:
		j.row.ToVersion = ver
		e.finish(ctx, j, models.CampaignDeviceFailed, ResultUpdateFailed.Reason(),
			fmt.Sprintf("the device came back without a result, still running %s (%s)", orNone(ver), s))
	}
}

// retryPolicy is the firmware retry backoff as a RetryPolicy.
func (e *fwEngine) retryPolicy() models.RetryPolicy {
	return models.RetryPolicy{Backoff: models.Duration(e.cfg.RetryBackoff), Multiplier: 2, MaxBackoff: models.Duration(e.cfg.MaxRetryBackoff)}
}

// retryOrFail ends an attempt: a retryable failure within the attempt
// limit goes back to pending (the device reset first, best effort) to be
// tried after the backoff; anything else fails the job.
func (e *fwEngine) retryOrFail(ctx context.Context, j *fwJob, reason, detail string) {
	if !retryable(reason) || j.row.Attempts >= e.maxAttempts(j) {
		e.finish(ctx, j, models.CampaignDeviceFailed, reason, detail)
		return
	}
	if e.s.rt.presence.reachable(j.ep, e.s.now()) {
		_, _ = e.send(ctx, j, writeURI(""))
	}
	now := e.s.now()
	j.row.State, j.row.Reason, j.row.Detail = models.CampaignDevicePending, reason, detail
	j.row.NextAttemptAt = now.Add(backoff(e.retryPolicy(), j.row.Attempts))
	j.row.Deadline, j.row.TokenHash = time.Time{}, ""
	e.save(ctx, j)
	e.stageEvent(ctx, j, "firmware.retry", map[string]any{"reason": reason, "detail": detail, "attempts": j.row.Attempts,
		"next_attempt_at": j.row.NextAttemptAt})
	e.mu.Lock()
	e.removeLocked(j)
	e.mu.Unlock()
	e.dropBytes(j)
	e.poke()
}

// cancelJob stops a job of a cancelled campaign: the device's download is
// cancelled (/5/0/10, or an empty Package URI on 1.0 devices).
func (e *fwEngine) cancelJob(ctx context.Context, j *fwJob) {
	if j.row.State.Active() && e.s.rt.presence.reachable(j.ep, e.s.now()) {
		resp, err := e.send(ctx, j, lwm2m.NewRequest(lwm2m.OpExecute, pathFwCancel))
		if err == nil && !resp.Code.IsSuccess() {
			_, _ = e.send(ctx, j, writeURI(""))
		}
	}
	e.finish(ctx, j, models.CampaignDeviceCancelled, ReasonCampaignCancel, "the campaign was cancelled")
}

// finish ends a job in a final state, records it, and reports the
// outcome of an update to the alarm rules (ReportFirmware).
func (e *fwEngine) finish(ctx context.Context, j *fwJob, state models.CampaignDeviceState, reason, detail string) {
	j.row.State, j.row.Reason, j.row.Detail = state, reason, detail
	j.row.FinishedAt, j.row.Deadline, j.row.NextAttemptAt, j.row.TokenHash = e.s.now(), time.Time{}, time.Time{}, ""
	e.save(ctx, j)
	e.mu.Lock()
	e.removeLocked(j)
	e.mu.Unlock()
	e.dropBytes(j)
	data := map[string]any{"campaign_id": j.row.CampaignID, "image_id": j.img.ID, "version": j.img.Version,
		"method": j.row.Method, "attempts": j.row.Attempts, "reason": reason, "detail": detail,
		"from_version": j.row.FromVersion, "to_version": j.row.ToVersion}
	ctx, cancel := detached(ctx)
	defer cancel()
	switch state {
	case models.CampaignDeviceSucceeded, models.CampaignDeviceFailed:
		if err := e.s.ReportFirmware(ctx, j.ep, state == models.CampaignDeviceFailed, data); err != nil {
			e.s.log.Warn().Err(err).Str("endpoint", j.ep).Msg("dm: reporting a firmware outcome")
		}
	default:
		e.stageEvent(ctx, j, "firmware."+string(state), data)
	}
	if state == models.CampaignDeviceFailed && e.s.rt.presence.reachable(j.ep, e.s.now()) {
		for _, p := range []lwm2m.Path{pathFwState, pathFwResult} {
			_, _ = e.send(ctx, j, lwm2m.NewRequest(lwm2m.OpCancelObserve, p))
		}
	}
	e.poke()
}

func (e *fwEngine) dropBytes(j *fwJob) {
	if j.pushBytes {
		j.pushBytes = false
		e.images.donePush(j.img.ID)
	}
}

// stageEvent records a firmware event of the job's device.
func (e *fwEngine) stageEvent(ctx context.Context, j *fwJob, typ string, data map[string]any) {
	d, err := e.s.deviceByID(ctx, j.row.DeviceID)
	if err != nil {
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["campaign_id"], data["image_id"], data["version"] = j.row.CampaignID, j.img.ID, j.img.Version
	e.s.record(ctx, deviceEvent(d, models.CategoryFirmware, typ, data))
}
