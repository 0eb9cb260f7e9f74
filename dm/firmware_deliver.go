package dm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// begin starts a pending job: it reads what the device runs and supports,
// resets a download left over from before, picks push or pull, and
// delivers.
func (e *fwEngine) begin(ctx context.Context, j *fwJob) {
	st, bad, err := e.readStatus(ctx, j)
	if err != nil {
		e.exchangeFailed(ctx, j, "reading /5/0", err)
		return
	}
	if bad != nil {
		e.refused(ctx, j, "reading /5/0", bad)
		return
	}
	ver, err := e.readVersion(ctx, j)
	if err != nil {
		e.exchangeFailed(ctx, j, "reading /3/0/3", err)
		return
	}
	if j.row.FromVersion == "" {
		j.row.FromVersion = ver
	}
	if ver != "" && ver == j.img.Version {
		j.row.ToVersion = ver
		e.finish(ctx, j, models.CampaignDeviceSucceeded, ReasonAlreadyCurrent, "the device already runs "+ver)
		return
	}
	if len(j.img.Models) > 0 {
		d, err := e.s.deviceByID(ctx, j.row.DeviceID)
		if err == nil {
			if info, err := e.s.deviceInfo(ctx, d); err == nil && info.Model != "" && !slices.Contains(j.img.Models, info.Model) {
				e.finish(ctx, j, models.CampaignDeviceSkipped, ReasonIncompatible,
					fmt.Sprintf("the device is a %q; the image is for %q", info.Model, j.img.Models))
				return
			}
		}
	}
	if reason, detail := st.check(); reason != "" {
		e.finish(ctx, j, models.CampaignDeviceFailed, reason, detail)
		return
	}
	switch st.state {
	case fwUpdating:
		// Installing something else: not ours to interrupt. Try later.
		e.later(ctx, j, "the device is installing another image ("+st.String()+")")
		return
	case fwDownloading, fwDownloaded:
		if !e.reset(ctx, j) {
			return
		}
	}
	method, scheme, why := e.chooseMethod(j, st)
	if method == "" {
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonNoMethod, why)
		return
	}
	j.row.Attempts++
	e.deliver(ctx, j, method, scheme, st)
}

// later puts a job back to pending without counting an attempt, to be
// tried after the retry backoff.
func (e *fwEngine) later(ctx context.Context, j *fwJob, detail string) {
	j.row.NextAttemptAt = e.s.now().Add(e.cfg.RetryBackoff)
	j.row.Detail = detail
	e.save(ctx, j)
	e.mu.Lock()
	e.removeLocked(j)
	e.mu.Unlock()
	e.poke()
}

// reset writes an empty Package URI, which takes the device back to idle
// (Core TS E.6), and reports whether it now is.
func (e *fwEngine) reset(ctx context.Context, j *fwJob) bool {
	resp, err := e.send(ctx, j, writeURI(""))
	if err != nil {
		e.exchangeFailed(ctx, j, "resetting /5/0/1", err)
		return false
	}
	if !resp.Code.IsSuccess() {
		e.refused(ctx, j, "resetting /5/0/1", &resp)
		return false
	}
	st, bad, err := e.readStatus(ctx, j)
	switch {
	case err != nil:
		e.exchangeFailed(ctx, j, "reading /5/0", err)
		return false
	case bad != nil:
		e.refused(ctx, j, "reading /5/0", bad)
		return false
	case st.state != fwIdle:
		e.retryOrFail(ctx, j, ReasonReset, "an empty Package URI left the device in "+st.String())
		return false
	}
	return true
}

func writeURI(uri string) lwm2m.Request {
	req := lwm2m.NewRequest(lwm2m.OpWrite, pathFwURI)
	n := lwm2m.NewResource(fwURI, lwm2m.StringValue(uri))
	req.Content = &n
	return req
}

// pullSchemes lists the schemes Shoal could serve a pull by, best first:
// the device's own transport's security first.
func (e *fwEngine) pullSchemes(j *fwJob) []string {
	secure := true
	if reg, ok := e.s.liveRegistration(context.Background(), j.ep); ok {
		secure = reg.Transport != string(models.TransportUDP)
	}
	if secure {
		return []string{"coaps", "https", "coap", "http"}
	}
	return []string{"coap", "http", "https"}
}

// chooseMethod picks push or pull from what the device supports (/5/0/9
// and /5/0/8, taken as "both" and "CoAP(S)" when missing) and what Shoal
// serves: pull unless the campaign prefers push, the other when the
// preferred one cannot be used. It says why when nothing fits.
func (e *fwEngine) chooseMethod(j *fwJob, st fwStatus) (method, scheme, why string) {
	delivery := int64(fwDeliveryBoth)
	if st.hasDelivery {
		delivery = st.delivery
	}
	canPull := delivery == fwDeliveryPull || delivery == fwDeliveryBoth
	canPush := delivery == fwDeliveryPush || delivery == fwDeliveryBoth
	if canPull {
		scheme = e.pullScheme(j, st)
	}
	order := []string{models.DeliveryPull, models.DeliveryPush}
	if j.camp.Method == models.DeliveryPush {
		order = []string{models.DeliveryPush, models.DeliveryPull}
	}
	for _, m := range order {
		switch {
		case m == models.DeliveryPull && scheme != "":
			return m, scheme, ""
		case m == models.DeliveryPush && canPush:
			return m, "", ""
		}
	}
	if !canPull && !canPush {
		return "", "", fmt.Sprintf("the device's delivery method (/5/0/9) is %d", delivery)
	}
	return "", "", fmt.Sprintf("the device only pulls, by protocols %v (/5/0/8), and Shoal serves none of them", st.protocols)
}

// pullScheme returns the scheme a pull would use, "" when the device and
// Shoal share none.
func (e *fwEngine) pullScheme(j *fwJob, st fwStatus) string {
	if e.cfg.Packages == nil {
		return ""
	}
	for _, sch := range e.pullSchemes(j) {
		if st.hasProtocols && !slices.ContainsFunc(st.protocols, func(p int64) bool { return fwProtocolSchemes[p] == sch }) {
			continue
		}
		if !st.hasProtocols && sch != "coap" && sch != "coaps" {
			continue
		}
		if _, err := e.packageURI(j.img, sch, newToken()); err == nil {
			return sch
		}
	}
	return ""
}

// deliver sends the image: a Package URI to pull, or the image itself.
func (e *fwEngine) deliver(ctx context.Context, j *fwJob, method, scheme string, st fwStatus) {
	now := e.s.now()
	j.row.State, j.row.Method, j.row.Reason, j.row.Detail = models.CampaignDeviceDownloading, method, "", ""
	j.row.NextAttemptAt, j.row.FinishedAt = time.Time{}, time.Time{}
	if j.row.StartedAt.IsZero() {
		j.row.StartedAt = now
	}
	e.observe(ctx, j)
	if method == models.DeliveryPull {
		e.pull(ctx, j, scheme, st)
		return
	}
	e.push(ctx, j, st)
}

// observe observes /5/0/3 and /5/0/5 once per registration, so state
// changes arrive as notifications; reads cover devices that do not
// notify.
func (e *fwEngine) observe(ctx context.Context, j *fwJob) {
	e.mu.Lock()
	reg := j.reg
	e.mu.Unlock()
	if reg == "" {
		if r, ok := e.s.liveRegistration(ctx, j.ep); ok {
			reg = r.ID
		}
	}
	if reg != "" && reg == j.observedReg {
		return
	}
	for _, p := range []lwm2m.Path{pathFwState, pathFwResult} {
		resp, err := e.send(ctx, j, lwm2m.NewRequest(lwm2m.OpObserve, p))
		if err != nil || !resp.Code.IsSuccess() {
			return
		}
	}
	j.observedReg = reg
}

func (e *fwEngine) pull(ctx context.Context, j *fwJob, scheme string, st fwStatus) {
	tok := newToken()
	uri, err := e.packageURI(j.img, scheme, tok)
	if err != nil {
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonNoMethod, err.Error())
		return
	}
	identity := ""
	if reg, ok := e.s.liveRegistration(ctx, j.ep); ok && scheme == "coaps" && reg.Identity != "" {
		identity = reg.Security.String() + ":" + reg.Identity
	}
	j.row.Method, j.row.TokenHash = models.DeliveryPull, tokenHash(tok)
	j.row.Deadline = e.stageDeadline(j, e.cfg.transferTime(e.cfg.DownloadTimeout, j.img.Size))
	j.row.Detail = "Package URI " + scheme + ", waiting for the device to download"
	e.mu.Lock()
	e.byToken[j.row.TokenHash] = j
	j.identity, j.served = identity, 0
	e.mu.Unlock()
	e.save(ctx, j)
	e.stageEvent(ctx, j, "firmware.downloading", map[string]any{"method": "pull", "scheme": scheme})
	resp, err := e.send(ctx, j, writeURI(uri))
	j.lastWrite = e.s.now()
	switch {
	case err != nil:
		e.exchangeFailed(ctx, j, "writing the Package URI", err)
	case resp.Code.IsSuccess():
		e.downloading(ctx, j, nil, true)
	case (resp.Code == lwm2m.CodeMethodNotAllowed || resp.Code == lwm2m.CodeNotFound) && pushable(st):
		e.dropToken(j)
		e.push(ctx, j, st)
	case resp.Code == lwm2m.CodeMethodNotAllowed || resp.Code == lwm2m.CodeNotFound:
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonPullRefused, "writing the Package URI: "+resp.Err().Error())
	default:
		e.refused(ctx, j, "writing the Package URI", &resp)
	}
}

func pushable(st fwStatus) bool {
	return !st.hasDelivery || st.delivery == fwDeliveryPush || st.delivery == fwDeliveryBoth
}

// dropToken ends a pull's one-time token.
func (e *fwEngine) dropToken(j *fwJob) {
	e.mu.Lock()
	delete(e.byToken, j.row.TokenHash)
	e.mu.Unlock()
	j.row.TokenHash = ""
}

// push writes the image to /5/0/0 block-wise, with a request timeout
// sized to it; a 4.05 falls back to pull when the device can.
func (e *fwEngine) push(ctx context.Context, j *fwJob, st fwStatus) {
	data, err := e.images.bytes(j.img)
	if err != nil {
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonImageMissing, err.Error())
		return
	}
	if j.pushBytes {
		e.images.donePush(j.img.ID) // the job holds a reference already
	}
	j.pushBytes = true
	timeout := e.cfg.transferTime(e.cfg.PushTimeout, j.img.Size)
	j.row.Method = models.DeliveryPush
	j.row.Deadline = e.stageDeadline(j, timeout+e.cfg.DownloadTimeout)
	j.row.Detail = fmt.Sprintf("pushing %d bytes", j.img.Size)
	e.save(ctx, j)
	e.stageEvent(ctx, j, "firmware.downloading", map[string]any{"method": "push"})
	req := lwm2m.NewRequest(lwm2m.OpWrite, pathFwPackage)
	req.Format = lwm2m.FormatOpaque
	n := lwm2m.NewResource(fwPackage, lwm2m.OpaqueValue(data))
	req.Content, req.Timeout = &n, timeout
	resp, err := e.send(ctx, j, req)
	j.lastWrite = e.s.now()
	switch {
	case err != nil && unreachable(err):
		e.retryOrFail(ctx, j, ResultConnectionLost.Reason(), "pushing the image: "+err.Error())
	case err != nil:
		e.exchangeFailed(ctx, j, "pushing the image", err)
	case resp.Code.IsSuccess():
		e.downloading(ctx, j, nil, true)
	case resp.Code == lwm2m.CodeMethodNotAllowed:
		if sch := e.pullScheme(j, st); sch != "" && (!st.hasDelivery || st.delivery != fwDeliveryPush) {
			e.pull(ctx, j, sch, st)
			return
		}
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonPushRefused, "pushing the image: "+resp.Err().Error())
	case resp.Code == lwm2m.CodeRequestEntityTooLarge:
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonTooLarge, "pushing the image: "+resp.Err().Error())
	default:
		e.refused(ctx, j, "pushing the image", &resp)
	}
}
