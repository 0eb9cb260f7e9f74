package api

import (
	"net/http"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// telemetryDTO answers GET /devices/{endpoint}/telemetry.
type telemetryDTO struct {
	Endpoint string      `json:"endpoint"`
	Series   []seriesDTO `json:"series"`
}

// seriesDTO is one key's raw points or, when downsampled, its buckets.
type seriesDTO struct {
	Key     string      `json:"key"`
	Points  []pointDTO  `json:"points,omitempty"`
	Buckets []bucketDTO `json:"buckets,omitempty"`
}

type pointDTO struct {
	Time  time.Time  `json:"time"`
	Type  lwm2m.Type `json:"type"`
	Value any        `json:"value"`
}

type bucketDTO struct {
	Time  time.Time  `json:"time"`
	Type  lwm2m.Type `json:"type"`
	Value any        `json:"value"`
	Count int64      `json:"count"`
}

// telemetry reads ?keys=a,b&from=&to=&interval=&agg=&limit=.
func (s *Server) telemetry(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	now := time.Now()
	var tr dm.TelemetryRequest
	var err error
	tr.Keys = queryList(q, "keys")
	if tr.From, err = queryTime(q, "from", now); err != nil {
		return err
	}
	if tr.To, err = queryTime(q, "to", now); err != nil {
		return err
	}
	if !tr.From.IsZero() && !tr.To.IsZero() && !tr.From.Before(tr.To) {
		return badField("to", "must be after from")
	}
	if tr.Limit, err = queryInt(q, "limit", dm.MaxTelemetryLimit); err != nil {
		return err
	}
	if tr.Interval, err = queryDuration(q, "interval", 0); err != nil {
		return err
	}
	if tr.Interval > 0 && tr.Interval < time.Second {
		return badField("interval", "must be at least 1s")
	}
	switch agg := models.Aggregate(q.Get("agg")); agg {
	case "":
		if tr.Interval > 0 {
			tr.Agg = models.AggAvg
		}
	case models.AggMin, models.AggMax, models.AggAvg, models.AggLast:
		if tr.Interval == 0 {
			return badField("agg", "needs an interval to aggregate over")
		}
		tr.Agg = agg
	default:
		return badField("agg", "%q is not min, max, avg or last", agg)
	}
	ep := endpointVar(r)
	series, err := s.svc.Telemetry(r.Context(), who(r), ep, tr)
	if err != nil {
		return err
	}
	out := telemetryDTO{Endpoint: ep, Series: make([]seriesDTO, len(series))}
	for i, sr := range series {
		sd := seriesDTO{Key: sr.Key}
		for _, p := range sr.Points {
			sd.Points = append(sd.Points, pointDTO{Time: p.Time.UTC(), Type: p.Value.Type(), Value: p.Value.JSON()})
		}
		for _, b := range sr.Buckets {
			sd.Buckets = append(sd.Buckets, bucketDTO{Time: b.Time.UTC(), Type: b.Value.Type(), Value: b.Value.JSON(), Count: b.Count})
		}
		out.Series[i] = sd
	}
	return writeJSON(w, http.StatusOK, out)
}

// attributeDTO is the latest value of one resource.
type attributeDTO struct {
	Path      string     `json:"path"`
	Key       string     `json:"key,omitempty"`
	Type      lwm2m.Type `json:"type"`
	Value     any        `json:"value"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func (s *Server) attributes(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.svc.Attributes(r.Context(), who(r), endpointVar(r))
	if err != nil {
		return err
	}
	out := pageDTO[attributeDTO]{Items: make([]attributeDTO, len(vs)), Total: int64(len(vs))}
	for i, v := range vs {
		out.Items[i] = attributeDTO{Path: v.Path.String(), Key: v.Key, Type: v.Value.Type(),
			Value: v.Value.JSON(), UpdatedAt: v.UpdatedAt.UTC()}
	}
	return writeJSON(w, http.StatusOK, out)
}
