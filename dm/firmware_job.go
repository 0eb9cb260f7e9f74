package dm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// fwJob is one device's update. Its row and the fields above the line
// belong to the goroutine driving it (one at a time, see kick); the rest
// is guarded by fwEngine.mu.
type fwJob struct {
	row  models.CampaignDevice
	img  models.FirmwareImage
	camp models.Campaign
	ep   string
	// observedReg is the registration the /5 observations were made on;
	// execReg the registration when Update was executed.
	observedReg string
	execReg     string
	lastRead    time.Time
	lastWrite   time.Time
	pushBytes   bool // holds a reference on the image's bytes

	// Guarded by fwEngine.mu.
	running, again, gone bool
	cancel               bool   // the campaign was cancelled: reset the device and stop
	needRead             bool   // the device spoke: read its state again
	reg                  string // the device's latest registration id
	noted                fwNoted
	identity             string // the DTLS identity a download must come from ("": any)
	served               int64  // bytes of the package served so far
	timer                *time.Timer
}

// fwNoted is what notifications reported since the job last looked.
type fwNoted struct {
	state, result       lwm2m.Value
	hasState, hasResult bool
}

func newJob(r models.CampaignDevice, cr *campRun) *fwJob {
	return &fwJob{row: r, img: cr.img, camp: cr.c, ep: r.Endpoint}
}

func (j *fwJob) stopTimer() {
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
}

// fwStatus is the device's Firmware Update instance as read.
type fwStatus struct {
	state, result       int64
	hasState, hasResult bool
	rawState, rawResult string
	pkgVersion          string
	protocols           []int64
	hasProtocols        bool
	delivery            int64
	hasDelivery         bool
}

func (st fwStatus) String() string {
	return fmt.Sprintf("state %s (%s), result %s", st.rawState, fwStateName(st.state), st.rawResult)
}

// check returns the failure reason and detail of a status whose state or
// result is not a value the specification defines ("" when both are).
func (st fwStatus) check() (string, string) {
	switch {
	case !st.hasState || st.state < fwIdle || st.state > fwUpdating:
		return ReasonBadState, "the device reported state " + orNone(st.rawState)
	case !st.hasResult || !UpdateResult(st.result).Known():
		return ReasonBadResult, "the device reported update result " + orNone(st.rawResult)
	}
	return "", ""
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return fmt.Sprintf("%q", s)
}

// intOf reads an integer resource value; ok is false for anything that
// is not a whole number.
func intOf(v lwm2m.Value) (int64, bool) {
	switch v.Type() {
	case lwm2m.TypeInteger:
		return v.Int(), true
	case lwm2m.TypeUnsigned:
		if u := v.Uint(); u <= 1<<62 {
			return int64(u), true
		}
	case lwm2m.TypeFloat:
		if f := v.Float(); f == float64(int64(f)) {
			return int64(f), true
		}
	}
	return 0, false
}

// parseStatus reads the resources of /5/0 from a node.
func parseStatus(n *lwm2m.Node) fwStatus {
	var st fwStatus
	st.state, st.result = -1, -1
	for i := range n.Children {
		r := &n.Children[i]
		switch r.ID {
		case fwState:
			st.rawState = r.Value.Text()
			st.state, st.hasState = intOf(r.Value)
		case fwResult:
			st.rawResult = r.Value.Text()
			st.result, st.hasResult = intOf(r.Value)
		case fwPkgVersion:
			st.pkgVersion = r.Value.Text()
		case fwDelivery:
			st.delivery, st.hasDelivery = intOf(r.Value)
		case fwProtocols:
			st.hasProtocols = true
			for _, ri := range r.Children {
				if p, ok := intOf(ri.Value); ok {
					st.protocols = append(st.protocols, p)
				}
			}
		}
	}
	if !st.hasState {
		st.state = -1
	}
	return st
}

// step moves a job on as far as the device lets it now.
func (e *fwEngine) step(ctx context.Context, j *fwJob) {
	if ctx.Err() != nil {
		return
	}
	e.mu.Lock()
	cancel, needRead, noted := j.cancel, j.needRead, j.noted
	j.needRead, j.noted = false, fwNoted{}
	e.mu.Unlock()
	now := e.s.now()
	if cancel && j.row.State != models.CampaignDeviceUpdating {
		e.cancelJob(ctx, j)
		return
	}
	if !j.row.Deadline.IsZero() && !now.Before(j.row.Deadline) {
		e.retryOrFail(ctx, j, ReasonTimeout, fmt.Sprintf("%s did not finish by %s", j.row.State, j.row.Deadline.Format(time.RFC3339)))
		return
	}
	if !e.s.rt.presence.reachable(j.ep, now) {
		if j.row.State == models.CampaignDevicePending {
			e.release(j)
		}
		return
	}
	var st *fwStatus
	if noted.hasState || noted.hasResult {
		s := fwStatus{state: -1, result: -1}
		if noted.hasState {
			s.rawState = noted.state.Text()
			s.state, s.hasState = intOf(noted.state)
		}
		if noted.hasResult {
			s.rawResult = noted.result.Text()
			s.result, s.hasResult = intOf(noted.result)
		}
		// A notification of one resource: read both rather than guess.
		if s.hasState && s.hasResult {
			st = &s
		} else {
			needRead = true
		}
	}
	switch j.row.State {
	case models.CampaignDevicePending:
		e.begin(ctx, j)
	case models.CampaignDeviceDownloading:
		e.downloading(ctx, j, st, needRead)
	case models.CampaignDeviceDownloaded:
		e.install(ctx, j)
	case models.CampaignDeviceUpdating:
		e.confirm(ctx, j, st, needRead)
	}
}

// send performs one request on the job's device.
func (e *fwEngine) send(ctx context.Context, j *fwJob, req lwm2m.Request) (lwm2m.Response, error) {
	snd, err := e.s.rt.sender()
	if err != nil {
		return lwm2m.Response{}, err
	}
	if req.Timeout <= 0 {
		req.Timeout = e.s.cfg.RequestTimeout
	}
	resp, err := snd.Send(ctx, j.ep, req)
	if err != nil && unreachable(err) {
		e.s.rt.presence.unreachable(j.ep, !errors.Is(err, server.ErrNotRegistered))
	}
	return resp, err
}

// readStatus reads /5/0.
func (e *fwEngine) readStatus(ctx context.Context, j *fwJob) (fwStatus, *lwm2m.Response, error) {
	resp, err := e.send(ctx, j, lwm2m.NewRequest(lwm2m.OpRead, pathFwInstance))
	if err != nil {
		return fwStatus{}, nil, err
	}
	j.lastRead = e.s.now()
	if !resp.Code.IsSuccess() {
		return fwStatus{}, &resp, nil
	}
	n := resp.Content
	if n == nil && len(resp.Records) > 0 {
		b, err := lwm2m.BuildNode(pathFwInstance, resp.Records)
		if err != nil {
			return fwStatus{}, nil, fmt.Errorf("%w: /5/0: %v", server.ErrBadResponse, err)
		}
		n = &b
	}
	if n == nil {
		return fwStatus{}, nil, fmt.Errorf("%w: /5/0: no content", server.ErrBadResponse)
	}
	return parseStatus(n), nil, nil
}

// readVersion reads the firmware version the device runs (/3/0/3); ""
// when the device does not say.
func (e *fwEngine) readVersion(ctx context.Context, j *fwJob) (string, error) {
	resp, err := e.send(ctx, j, lwm2m.NewRequest(lwm2m.OpRead, pathFwVersion3))
	if err != nil {
		return "", err
	}
	if !resp.Code.IsSuccess() || resp.Content == nil {
		return "", nil
	}
	return resp.Content.Value.Text(), nil
}

// exchangeFailed handles a request that got no answer: a device that went
// away is waited for (a pending job gives its slot back), a context that
// ended stops, an undecodable answer fails, anything else (timeouts) is
// retried.
func (e *fwEngine) exchangeFailed(ctx context.Context, j *fwJob, what string, err error) {
	switch {
	case ctx.Err() != nil:
	case unreachable(err):
		if j.row.State == models.CampaignDevicePending {
			e.release(j)
		}
	case errors.Is(err, server.ErrBadResponse):
		e.finish(ctx, j, models.CampaignDeviceFailed, ReasonBadResponse, what+": "+err.Error())
	default:
		e.retryOrFail(ctx, j, ReasonTimeout, what+": "+err.Error())
	}
}

// refused fails a job whose device answered an error code.
func (e *fwEngine) refused(ctx context.Context, j *fwJob, what string, resp *lwm2m.Response) {
	reason := ReasonRefused
	if resp.Code == lwm2m.CodeNotFound && j.row.State == models.CampaignDevicePending {
		reason = ReasonNoFirmwareObject
	}
	e.finish(ctx, j, models.CampaignDeviceFailed, reason, what+": "+resp.Err().Error())
}

// save stores the job's row; a failure is logged (the job goes on in
// memory and the next save tries again).
func (e *fwEngine) save(ctx context.Context, j *fwJob) {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := e.st.Campaigns.PutDevice(ctx, &j.row); err != nil {
		e.s.log.Error().Err(err).Str("endpoint", j.ep).Int64("campaign", j.row.CampaignID).Msg("dm: storing a firmware job")
	}
}

// stageDeadline is now plus d, or SleepyTimeout for a queue-mode device
// when that is longer.
func (e *fwEngine) stageDeadline(j *fwJob, d time.Duration) time.Time {
	if st, ok := e.s.rt.presence.state(j.ep); ok && st.queueMode {
		d = max(d, e.cfg.SleepyTimeout)
	}
	return e.s.now().Add(d)
}

// maxAttempts is the campaign's attempt limit, or the server's.
func (e *fwEngine) maxAttempts(j *fwJob) int {
	if j.camp.MaxAttempts > 0 {
		return j.camp.MaxAttempts
	}
	return e.cfg.MaxAttempts
}

// release gives a pending job's slot back: the device could not be
// reached, so it waits to be heard from.
func (e *fwEngine) release(j *fwJob) {
	e.mu.Lock()
	e.removeLocked(j)
	e.waiting[j.ep] = j.row.DeviceID
	e.mu.Unlock()
	e.poke()
}
