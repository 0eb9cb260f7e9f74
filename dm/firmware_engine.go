package dm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// fwEngine runs firmware updates: one job per device being updated (a
// campaign device row in an active state), driven by the device's
// notifications, registrations and wake-ups and by per-job timers, and
// the campaign scheduler that starts jobs. Everything it decides is in
// the campaign rows, so a restart resumes where it was.
type fwEngine struct {
	s      *Service
	cfg    FirmwareConfig
	st     FirmwareStores
	blobs  ImageBlobs
	images *imageCache
	nudge  chan struct{}
	// campMu serialises changes to campaign rows (operators' transitions,
	// the scheduler's waves and states, automatic campaigns).
	campMu sync.Mutex

	mu      sync.Mutex
	runCtx  context.Context
	closed  bool
	loaded  bool
	jobs    map[int64]*fwJob  // device id → its job
	byEP    map[string]*fwJob // endpoint → job
	byToken map[string]*fwJob // one-time token hash → pull job
	camps   map[int64]*campRun
	// waiting are pending devices the scheduler skipped because they could
	// not be reached; woken are those of them heard from since.
	waiting map[string]int64 // endpoint → device id
	woken   map[int64]bool
	bg      sync.WaitGroup
}

// campRun is a running or paused campaign as the scheduler sees it.
type campRun struct {
	c      models.Campaign
	img    models.FirmwareImage
	cursor int64 // the last device id the pending scan looked at
	active int   // jobs in memory
}

// EnableFirmware turns firmware images, campaigns and delivery on; call it
// before Run. Without it the firmware use cases fail with
// ErrNotImplemented.
func (s *Service) EnableFirmware(st FirmwareStores, blobs ImageBlobs, cfg FirmwareConfig) error {
	if s.rt.started.Load() {
		return errors.New("dm: EnableFirmware after Run")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if st.Images == nil || st.Campaigns == nil || st.Jobs == nil || blobs == nil {
		return errors.New("dm: firmware: the image, campaign and job stores and the blob store are required")
	}
	s.rt.fw = &fwEngine{s: s, cfg: cfg, st: st, blobs: blobs, images: newImageCache(blobs), nudge: make(chan struct{}, 1),
		jobs: map[int64]*fwJob{}, byEP: map[string]*fwJob{}, byToken: map[string]*fwJob{}, camps: map[int64]*campRun{},
		waiting: map[string]int64{}, woken: map[int64]bool{}}
	return nil
}

// firmware returns the engine, or ErrNotImplemented when firmware is off.
func (s *Service) firmware() (*fwEngine, error) {
	if s.rt.fw == nil {
		return nil, fmt.Errorf("firmware over the air is not enabled on this server: %w", ErrNotImplemented)
	}
	return s.rt.fw, nil
}

// run schedules campaigns until ctx ends, then waits for its jobs'
// goroutines.
func (e *fwEngine) run(ctx context.Context) {
	e.mu.Lock()
	e.runCtx = ctx
	e.mu.Unlock()
	// Jobs resumed after a restart must not reach the LwM2M server before
	// it has restored its registrations: a send would find the device
	// unregistered and dm would forget it was reachable until it next
	// speaks (a job left in "downloaded" then waited for good).
	if snd, err := e.s.rt.sender(); err == nil {
		if r, ok := snd.(interface{ Ready() <-chan struct{} }); ok {
			select {
			case <-r.Ready():
			case <-ctx.Done():
			}
		}
	}
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	for {
		e.tick(ctx)
		select {
		case <-ctx.Done():
			e.mu.Lock()
			e.closed = true
			for _, j := range e.jobs {
				j.stopTimer()
			}
			e.mu.Unlock()
			e.bg.Wait()
			e.images.close()
			return
		case <-t.C:
		case <-e.nudge:
		}
	}
}

// poke asks the scheduler to run soon.
func (e *fwEngine) poke() {
	select {
	case e.nudge <- struct{}{}:
	default:
	}
}

// spawn runs f on a tracked goroutine unless the engine has stopped.
func (e *fwEngine) spawn(f func(ctx context.Context)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.runCtx == nil {
		return
	}
	ctx := e.runCtx
	e.bg.Go(func() { f(ctx) })
}

// load reads the campaigns and jobs left by the last run.
func (e *fwEngine) load(ctx context.Context) error {
	camps := map[int64]*campRun{}
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := e.st.Campaigns.List(ctx, p)
		if err != nil {
			return fmt.Errorf("loading campaigns: %w", err)
		}
		for _, c := range pg.Items {
			if c.State != models.CampaignRunning && c.State != models.CampaignPaused {
				continue
			}
			img, err := e.st.Images.Get(ctx, c.ImageID)
			if err != nil {
				return fmt.Errorf("loading campaign %d's image: %w", c.ID, err)
			}
			camps[c.ID] = &campRun{c: c, img: img}
		}
		if pg.Next == "" {
			break
		}
		p.Cursor = pg.Next
	}
	rows, err := e.st.Jobs.Active(ctx)
	if err != nil {
		return fmt.Errorf("loading firmware jobs: %w", err)
	}
	var jobs []*fwJob
	for _, r := range rows {
		cr := camps[r.CampaignID]
		if cr == nil {
			// A job of a campaign that ended (cancelled while the device
			// was updating): finish it without a campaign to start others.
			c, err := e.st.Campaigns.Get(ctx, r.CampaignID)
			if err != nil {
				return fmt.Errorf("loading campaign %d: %w", r.CampaignID, err)
			}
			img, err := e.st.Images.Get(ctx, c.ImageID)
			if err != nil {
				return fmt.Errorf("loading campaign %d's image: %w", c.ID, err)
			}
			cr = &campRun{c: c, img: img}
		}
		jobs = append(jobs, newJob(r, cr))
	}
	e.mu.Lock()
	e.camps = camps
	for _, j := range jobs {
		e.addLocked(j)
	}
	e.loaded = true
	e.mu.Unlock()
	if len(jobs) > 0 || len(camps) > 0 {
		e.s.log.Info().Int("campaigns", len(camps)).Int("jobs", len(jobs)).Msg("dm: firmware campaigns and jobs resumed")
	}
	for _, j := range jobs {
		e.kick(j)
	}
	return nil
}

// addLocked registers a job (e.mu held).
func (e *fwEngine) addLocked(j *fwJob) {
	e.jobs[j.row.DeviceID] = j
	e.byEP[j.ep] = j
	if j.row.TokenHash != "" {
		e.byToken[j.row.TokenHash] = j
	}
	if cr := e.camps[j.row.CampaignID]; cr != nil {
		cr.active++
	}
	delete(e.waiting, j.ep)
	delete(e.woken, j.row.DeviceID)
}

// removeLocked forgets a finished or released job (e.mu held).
func (e *fwEngine) removeLocked(j *fwJob) {
	if e.jobs[j.row.DeviceID] == j {
		delete(e.jobs, j.row.DeviceID)
		delete(e.byEP, j.ep)
		if cr := e.camps[j.row.CampaignID]; cr != nil {
			cr.active--
		}
	}
	for h, t := range e.byToken {
		if t == j {
			delete(e.byToken, h)
		}
	}
	j.gone = true
	j.stopTimer()
}

// kick makes the job take its next step on its own goroutine; a kick
// while it runs makes it look again when done.
func (e *fwEngine) kick(j *fwJob) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || j.gone || e.runCtx == nil {
		return
	}
	if j.running {
		j.again = true
		return
	}
	j.running = true
	ctx := e.runCtx
	e.bg.Go(func() { e.drive(ctx, j) })
}

func (e *fwEngine) drive(ctx context.Context, j *fwJob) {
	for {
		e.step(ctx, j)
		e.mu.Lock()
		if !j.again || j.gone || e.closed {
			j.running = false
			if !j.gone && !e.closed {
				e.armLocked(j)
			}
			e.mu.Unlock()
			return
		}
		j.again = false
		e.mu.Unlock()
	}
}

// armLocked sets the job's timer to its deadline, or its next poll of the
// device's state, whichever is first (e.mu held).
func (e *fwEngine) armLocked(j *fwJob) {
	now := e.s.now()
	var at time.Time
	if !j.row.Deadline.IsZero() {
		at = j.row.Deadline
	}
	if j.row.State.Active() {
		if p := j.lastRead.Add(e.cfg.PollInterval); at.IsZero() || p.Before(at) {
			at = p
		}
	}
	if !j.row.NextAttemptAt.IsZero() && (at.IsZero() || j.row.NextAttemptAt.Before(at)) {
		at = j.row.NextAttemptAt
	}
	j.stopTimer()
	if at.IsZero() {
		return
	}
	j.timer = time.AfterFunc(max(at.Sub(now), time.Millisecond), func() { e.kick(j) })
}

// heard is told that a device spoke (registration, update, wake-up); reg
// is set for a new registration.
func (e *fwEngine) heard(ep string, reg *server.Registration) {
	e.mu.Lock()
	j := e.byEP[ep]
	if j != nil {
		j.needRead = true
		if reg != nil {
			j.reg = reg.ID
		}
	} else if id, ok := e.waiting[ep]; ok {
		e.woken[id] = true
	}
	e.mu.Unlock()
	switch {
	case j != nil:
		e.kick(j)
	default:
		e.poke()
	}
}

// notified takes a notification's values: /5/0/3 and /5/0/5 move a job
// on.
func (e *fwEngine) notified(ep string, recs []lwm2m.Record) {
	e.mu.Lock()
	j := e.byEP[ep]
	if j == nil {
		e.mu.Unlock()
		return
	}
	hit := false
	for _, r := range recs {
		if r.Path.Len() >= 3 && r.Path.Object() == fwObject && r.Path.Instance() == 0 {
			switch r.Path.Resource() {
			case fwState:
				v := r.Value
				j.noted.state, j.noted.hasState, hit = v, true, true
			case fwResult:
				v := r.Value
				j.noted.result, j.noted.hasResult, hit = v, true, true
			}
		}
	}
	e.mu.Unlock()
	if hit {
		e.kick(j)
	}
}
