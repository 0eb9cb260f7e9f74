package dm

import (
	"context"
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// deviceObject is /3/0, read once after every registration.
var deviceObject = lwm2m.InstancePath(3, 0)

// step is one request of a profile application, for its event.
type step struct {
	Op    string       `json:"op"`
	Paths []lwm2m.Path `json:"paths"`
	Code  string       `json:"code,omitempty"`
	Error string       `json:"error,omitempty"`
}

// applyProfile configures a newly registered device: it writes the
// profile's notification attributes, establishes its observations with
// the profile's strategy and reads /3/0 for the device info. It runs on
// its own goroutine (bounded by ProfileWorkers) and records one event with
// the outcome of every request.
func (s *Service) applyProfile(ctx context.Context, d models.Device, regID string) {
	select {
	case s.rt.profileSem <- struct{}{}:
		defer func() { <-s.rt.profileSem }()
	case <-ctx.Done():
		return
	}
	snd, err := s.rt.sender()
	if err != nil {
		return
	}
	prof, err := s.profileOf(ctx, d)
	if err != nil {
		s.log.Warn().Err(err).Str("endpoint", d.Endpoint).Msg("dm: loading the profile to apply")
	}
	var steps []step
	do := func(req lwm2m.Request) (lwm2m.Response, bool) {
		if req.Timeout == 0 {
			req.Timeout = s.cfg.RequestTimeout
		}
		resp, err := snd.Send(ctx, d.Endpoint, req)
		st := step{Op: req.Op.String(), Paths: req.Paths}
		if len(st.Paths) == 0 {
			st.Paths = []lwm2m.Path{req.Path}
		}
		ok := err == nil && resp.Code.IsSuccess()
		switch {
		case err != nil:
			st.Error = err.Error()
		default:
			st.Code = resp.Code.String()
		}
		steps = append(steps, st)
		return resp, ok
	}
	format := lwm2m.FormatNone
	if prof != nil {
		if prof.Spec.Format != nil {
			format = *prof.Spec.Format
		}
		for _, t := range prof.Spec.Observe.Targets {
			if ctx.Err() != nil {
				return
			}
			if !t.Attributes.IsZero() {
				req := lwm2m.NewRequest(lwm2m.OpWriteAttributes, t.Path)
				req.Attributes = t.Attributes
				do(req)
			}
		}
		for _, req := range observeRequests(prof.Spec.Observe, format) {
			if ctx.Err() != nil {
				return
			}
			if resp, ok := do(req); ok {
				s.ingestResponse(ctx, d, req, resp, s.now(), "observe")
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	req := lwm2m.NewRequest(lwm2m.OpRead, deviceObject) // the device info
	req.Format = format
	if resp, ok := do(req); ok {
		s.storeRead(ctx, d, deviceObject, resp)
	}
	name := ""
	if prof != nil {
		name = prof.Name
	}
	s.record(ctx, deviceEvent(d, models.CategoryOperation, "profile.applied",
		map[string]any{"profile": name, "registration_id": regID, "steps": steps}))
}

// observeRequests builds the observations of a profile: one Observe per
// target, one Observe-Composite of all targets, or one per object.
func observeRequests(o models.ObserveSpec, f lwm2m.ContentFormat) []lwm2m.Request {
	if len(o.Targets) == 0 {
		return nil
	}
	paths := make([]lwm2m.Path, 0, len(o.Targets))
	for _, t := range o.Targets {
		paths = append(paths, t.Path)
	}
	composite := func(ps []lwm2m.Path) lwm2m.Request {
		return lwm2m.Request{Op: lwm2m.OpObserveComposite, Paths: ps, Format: f}
	}
	switch o.Strategy {
	case models.ObserveCompositeAll:
		return []lwm2m.Request{composite(paths)}
	case models.ObserveCompositePerObject:
		var out []lwm2m.Request
		var objs []uint16
		by := map[uint16][]lwm2m.Path{}
		for _, p := range paths {
			if _, ok := by[p.Object()]; !ok {
				objs = append(objs, p.Object())
			}
			by[p.Object()] = append(by[p.Object()], p)
		}
		slices.Sort(objs)
		for _, id := range objs {
			out = append(out, composite(by[id]))
		}
		return out
	}
	out := make([]lwm2m.Request, 0, len(paths))
	for _, p := range paths {
		req := lwm2m.NewRequest(lwm2m.OpObserve, p)
		req.Format = f
		out = append(out, req)
	}
	return out
}

// ingestResponse maps the values of a successful read or observe answer
// like a notification's; values without a time take at, when the answer
// arrived (so a notification that overtook its processing stays later).
func (s *Service) ingestResponse(ctx context.Context, d models.Device, req lwm2m.Request, resp lwm2m.Response, at time.Time, source string) {
	recs := resp.Records
	if len(recs) == 0 && resp.Content != nil && !req.Path.IsRoot() {
		recs = resp.Content.Records(req.Path)
	}
	s.ingestRecords(ctx, d, recs, at, source)
}

// storeRead keeps every value of a read of /3/0 as the latest attribute
// values (telemetry-mapped ones included: the device info needs them).
func (s *Service) storeRead(ctx context.Context, d models.Device, p lwm2m.Path, resp lwm2m.Response) {
	recs := resp.Records
	if len(recs) == 0 && resp.Content != nil {
		recs = resp.Content.Records(p)
	}
	m := s.mappingOf(ctx, d)
	now := s.now()
	attrs := make([]models.AttributeValue, 0, len(recs))
	for _, r := range recs {
		if r.Value.IsNone() || r.Path.Len() < 3 {
			continue
		}
		key, _ := mapName(m.attributes, r.Path)
		attrs = append(attrs, models.AttributeValue{DeviceID: d.ID, Path: r.Path, Key: key, Value: r.Value, UpdatedAt: now})
	}
	if len(attrs) == 0 {
		return
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.st.Attributes.Upsert(ctx, attrs); err != nil {
		s.log.Error().Err(err).Str("endpoint", d.Endpoint).Msg("dm: storing the device info")
		return
	}
	s.noteInfo(d.ID, attrs)
	c := s.rt.devices
	c.mu.Lock()
	if e := c.byID[d.ID]; e != nil && e.info == nil {
		info := DeviceInfo{}
		applyInfo(&info, attrs)
		e.info = &info
	}
	c.mu.Unlock()
	s.publishValues(d, nil, attrs, "read")
}
