package dm

import (
	"context"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// CategoryTelemetry is the category of the live (not stored) events that
// carry values as they arrive: Type "telemetry", Data
// {"source": "notify"|"send"|"observe"|"read", "points": [...], "attributes": [...]}.
const CategoryTelemetry models.EventCategory = "telemetry"

// mapping is a profile's path maps.
type mapping struct {
	telemetry  map[lwm2m.Path]string
	attributes map[lwm2m.Path]string
}

func newMapping(p *models.Profile) *mapping {
	m := &mapping{telemetry: map[lwm2m.Path]string{}, attributes: map[lwm2m.Path]string{}}
	if p == nil {
		return m
	}
	for _, pm := range p.Spec.Telemetry {
		m.telemetry[pm.Path] = pm.Name
	}
	for _, pm := range p.Spec.Attributes {
		m.attributes[pm.Path] = pm.Name
	}
	return m
}

// mapName finds the name a record path maps to in m: the path itself, or,
// for a resource instance, its multiple resource (the key then gets
// "/<instance>" appended).
func mapName(m map[lwm2m.Path]string, p lwm2m.Path) (string, bool) {
	if n, ok := m[p]; ok {
		return n, true
	}
	if p.Len() == 4 {
		if n, ok := m[p.Parent()]; ok {
			return n + "/" + strconv.Itoa(int(p.ResourceInstance())), true
		}
	}
	return "", false
}

// mappingOf returns the path maps of a device's profile.
func (s *Service) mappingOf(ctx context.Context, d models.Device) *mapping {
	p, err := s.profileOf(ctx, d)
	if err != nil {
		s.log.Warn().Err(err).Str("endpoint", d.Endpoint).Msg("dm: loading a device's profile")
	}
	c := s.rt.devices
	c.mu.Lock()
	defer c.mu.Unlock()
	if p == nil {
		return newMapping(nil)
	}
	pe := c.profiles[p.ID]
	if pe.p == p && pe.m != nil {
		return pe.m
	}
	m := newMapping(p)
	if pe.p == p {
		pe.m = m
		c.profiles[p.ID] = pe
	}
	return m
}

// ingestRecords maps values from a device through its profile: mapped
// telemetry paths become points of their key's time series (written
// through the batching writer, which waits rather than drops when full),
// everything else becomes the latest value of an attribute (named when
// the profile maps it). Values without a time take at.
func (s *Service) ingestRecords(ctx context.Context, d models.Device, recs []lwm2m.Record, at time.Time, source string) {
	if len(recs) == 0 {
		return
	}
	m := s.mappingOf(ctx, d)
	var pts []models.TelemetryPoint
	var attrs []models.AttributeValue
	for _, r := range recs {
		if r.Value.IsNone() || r.Path.Len() < 3 {
			continue
		}
		t := r.Time
		if t.IsZero() {
			t = at
		}
		t = t.UTC()
		if key, ok := mapName(m.telemetry, r.Path); ok {
			pts = append(pts, models.TelemetryPoint{DeviceID: d.ID, Key: key, Time: t, Value: r.Value})
			continue
		}
		key, _ := mapName(m.attributes, r.Path)
		attrs = append(attrs, models.AttributeValue{DeviceID: d.ID, Path: r.Path, Key: key, Value: r.Value, UpdatedAt: t})
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if len(pts) > 0 {
		var err error
		if s.st.Writer != nil {
			err = s.st.Writer.Write(ctx, pts...)
		} else {
			err = s.st.Telemetry.Append(ctx, pts)
		}
		if err != nil {
			s.log.Error().Err(err).Str("endpoint", d.Endpoint).Int("points", len(pts)).Msg("dm: storing telemetry")
		} else {
			s.rt.metrics.telemetry.Add(float64(len(pts)))
		}
		s.rt.alarms.telemetry(ctx, d, pts)
	}
	if len(attrs) > 0 {
		if err := s.st.Attributes.Upsert(ctx, attrs); err != nil {
			s.log.Error().Err(err).Str("endpoint", d.Endpoint).Msg("dm: storing attributes")
		} else {
			s.noteInfo(d.ID, attrs)
		}
	}
	s.publishValues(d, pts, attrs, source)
}

// publishValues sends arriving values to live subscribers (they are not
// stored as events: the time series and attributes hold them).
func (s *Service) publishValues(d models.Device, pts []models.TelemetryPoint, attrs []models.AttributeValue, source string) {
	if len(pts) == 0 && len(attrs) == 0 || s.rt.hub.idle() {
		return // nobody listens: skip building and marshalling the event
	}
	type point struct {
		Key   string      `json:"key"`
		Time  time.Time   `json:"time"`
		Value lwm2m.Value `json:"value"`
	}
	type attr struct {
		Path  lwm2m.Path  `json:"path"`
		Key   string      `json:"key,omitempty"`
		Value lwm2m.Value `json:"value"`
	}
	data := struct {
		Source     string  `json:"source"`
		Points     []point `json:"points,omitempty"`
		Attributes []attr  `json:"attributes,omitempty"`
	}{Source: source}
	for _, p := range pts {
		data.Points = append(data.Points, point{p.Key, p.Time, p.Value})
	}
	for _, a := range attrs {
		data.Attributes = append(data.Attributes, attr{a.Path, a.Key, a.Value})
	}
	e := deviceEvent(d, CategoryTelemetry, "telemetry", data)
	e.Time = s.now()
	s.rt.hub.publish(e)
}
