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
// the profile's strategy and reads /3/0 for the device info — or, on a
// retry, sends again only the requests that did not reach the device. It
// records one event with the outcome of every request and returns the
// requests to retry: those that failed in transport (a timeout, the device
// unreachable), not those the device refused.
func (s *Service) applyProfile(ctx context.Context, j *profileJob) (retry []lwm2m.Request) {
	d := j.dev
	snd, err := s.rt.sender()
	if err != nil {
		return nil
	}
	prof, err := s.profileOf(ctx, d)
	if err != nil {
		s.log.Warn().Err(err).Str("endpoint", d.Endpoint).Msg("dm: loading the profile to apply")
	}
	reqs := j.retry
	if reqs == nil {
		reqs = profileRequests(prof)
	}
	var steps []step
	for _, req := range reqs {
		if ctx.Err() != nil {
			return nil
		}
		if req.Timeout == 0 {
			req.Timeout = s.cfg.RequestTimeout
		}
		if req.Op == lwm2m.OpRead && req.Path == deviceObject {
			sts, again := s.readInfo(ctx, snd, d, req)
			steps = append(steps, sts...)
			if again {
				req.Timeout = 0
				retry = append(retry, req)
			}
			continue
		}
		resp, err := snd.Send(ctx, d.Endpoint, req)
		st := step{Op: req.Op.String(), Paths: req.Paths}
		if len(st.Paths) == 0 {
			st.Paths = []lwm2m.Path{req.Path}
		}
		switch {
		case err != nil:
			st.Error = err.Error()
			req.Timeout = 0
			retry = append(retry, req)
		default:
			st.Code = resp.Code.String()
		}
		steps = append(steps, st)
		if err != nil || !resp.Code.IsSuccess() {
			continue
		}
		if req.Op == lwm2m.OpObserve || req.Op == lwm2m.OpObserveComposite {
			s.ingestResponse(ctx, d, req, resp, s.now(), "observe")
		}
	}
	name := ""
	if prof != nil {
		name = prof.Name
	}
	data := map[string]any{"profile": name, "registration_id": j.regID, "steps": steps}
	if j.attempt > 1 {
		data["attempt"] = j.attempt
	}
	s.record(ctx, deviceEvent(d, models.CategoryOperation, "profile.applied", data))
	return retry
}

// profileRequests lists what applying prof takes: the write-attributes of
// its targets, its observations, and the read of /3/0 (the device info,
// also without a profile).
func profileRequests(prof *models.Profile) []lwm2m.Request {
	format := lwm2m.FormatNone
	var out []lwm2m.Request
	if prof != nil {
		if prof.Spec.Format != nil {
			format = *prof.Spec.Format
		}
		for _, t := range prof.Spec.Observe.Targets {
			if !t.Attributes.IsZero() {
				req := lwm2m.NewRequest(lwm2m.OpWriteAttributes, t.Path)
				req.Attributes = t.Attributes
				out = append(out, req)
			}
		}
		out = append(out, observeRequests(prof.Spec.Observe, format)...)
	}
	req := lwm2m.NewRequest(lwm2m.OpRead, deviceObject)
	req.Format = format
	return append(out, req)
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
	s.storeRecords(ctx, d, responseRecords(p, resp))
}

// responseRecords returns the values of a read of p.
func responseRecords(p lwm2m.Path, resp lwm2m.Response) []lwm2m.Record {
	if len(resp.Records) == 0 && resp.Content != nil {
		return resp.Content.Records(p)
	}
	return resp.Records
}

// storeRecords keeps recs, values of /3/0, as the latest attribute values.
func (s *Service) storeRecords(ctx context.Context, d models.Device, recs []lwm2m.Record) {
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
