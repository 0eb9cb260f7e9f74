package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// eventDTO is one entry of the event log.
type eventDTO struct {
	ID         int64           `json:"id"`
	Time       time.Time       `json:"time"`
	DeviceID   int64           `json:"device_id,omitempty"`
	Endpoint   string          `json:"endpoint,omitempty"`
	CustomerID int64           `json:"customer_id,omitempty"`
	Category   string          `json:"category"`
	Type       string          `json:"type"`
	Actor      string          `json:"actor,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

func toEventDTO(e models.Event) eventDTO {
	d := eventDTO{ID: e.ID, Time: e.Time.UTC(), DeviceID: e.DeviceID, Endpoint: e.Endpoint, CustomerID: e.CustomerID,
		Category: string(e.Category), Type: e.Type, Actor: e.Actor}
	if len(e.Data) > 0 && json.Valid(e.Data) {
		d.Data = e.Data
	}
	return d
}

var eventCategories = []models.EventCategory{models.CategoryRegistration, models.CategoryOperation,
	models.CategorySecurity, models.CategoryAudit, models.CategoryAlarm, models.CategoryFirmware, dm.CategoryTelemetry}

// eventFilter reads ?type=, ?category=, ?from= and ?to=.
func eventFilter(q url.Values) (dm.EventFilter, error) {
	f := dm.EventFilter{Types: queryList(q, "type")}
	for _, c := range queryList(q, "category") {
		if !slices.Contains(eventCategories, models.EventCategory(c)) {
			return f, badField("category", "%q is not one of %v", c, eventCategories)
		}
		f.Categories = append(f.Categories, models.EventCategory(c))
	}
	var err error
	now := time.Now()
	if f.From, err = queryTime(q, "from", now); err != nil {
		return f, err
	}
	if f.To, err = queryTime(q, "to", now); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) deviceEvents(w http.ResponseWriter, r *http.Request) error {
	ep := endpointVar(r)
	if _, err := s.svc.GetDevice(r.Context(), who(r), ep); err != nil {
		return err
	}
	f, err := eventFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.Endpoint = ep
	return s.eventList(w, r, f)
}

func (s *Server) eventList(w http.ResponseWriter, r *http.Request, f dm.EventFilter) error {
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.svc.Events(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toEventDTO))
}

// events is GET /events: the live Server-Sent Events stream, or — when
// the caller accepts application/json but not text/event-stream — one
// page of the stored log, newest first. ?device= filters by endpoint.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := eventFilter(q)
	if err != nil {
		return err
	}
	f.Endpoint = q.Get("device")
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/event-stream") {
		return s.eventList(w, r, f)
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		return badField("from", "a live stream takes no time range (use Accept: application/json for the log)")
	}
	var last int64
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		if last, err = strconv.ParseInt(id, 10, 64); err != nil || last < 0 {
			return badField("Last-Event-ID", "%q is not an event id", id)
		}
	}
	return s.stream(w, r, f, last)
}

// stream writes live events as SSE until the caller leaves or the server
// shuts down. With last > 0 it first replays the stored events after it.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f dm.EventFilter, last int64) error {
	rc := http.NewResponseController(w)
	sub, cancel, err := s.svc.Subscribe(who(r), f)
	if err != nil {
		return err
	}
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 3000\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil // the writer cannot stream; nothing more to say
	}
	ctx := r.Context()
	sent := last
	if last > 0 {
		evs, complete, err := s.replay(ctx, who(r), f, last)
		if err != nil {
			s.log.Warn().Err(err).Msg("api: sse: replay failed")
			complete = false
		}
		if !complete {
			if writeSSE(w, "dropped", 0, map[string]any{"reason": "not every missed event could be replayed"}) != nil {
				return nil
			}
		}
		for _, e := range evs {
			if writeSSE(w, "", e.ID, toEventDTO(e)) != nil {
				return nil
			}
			sent = max(sent, e.ID)
		}
		if rc.Flush() != nil {
			return nil
		}
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-s.streamsCtx.Done():
			return nil
		case <-tick.C:
			_, err = fmt.Fprint(w, ": heartbeat\n\n")
		case e, ok := <-sub.C:
			switch {
			case !ok:
				return nil
			case e.Type == dm.EventDropped && e.ID == 0:
				var data any = map[string]any{"dropped": sub.Dropped()}
				if json.Valid(e.Data) {
					data = e.Data
				}
				err = writeSSE(w, "dropped", 0, data)
			case e.ID != 0 && e.ID <= sent:
				continue
			default:
				err = writeSSE(w, "", e.ID, toEventDTO(e))
				sent = max(sent, e.ID)
			}
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return nil // the caller left
		}
	}
}

// writeSSE writes one event; an empty name is the default "message".
func writeSSE(w http.ResponseWriter, name string, id int64, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if id > 0 {
		sb.WriteString("id: " + strconv.FormatInt(id, 10) + "\n")
	}
	if name != "" {
		sb.WriteString("event: " + name + "\n")
	}
	sb.WriteString("data: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	_, err = fmt.Fprint(w, sb.String())
	return err
}

// replay returns the stored events after last matching f, oldest first;
// complete is false when more than ReplayLimit were missed.
func (s *Server) replay(ctx context.Context, caller dm.Principal, f dm.EventFilter, last int64) ([]models.Event, bool, error) {
	var out []models.Event
	pr := dm.PageRequest{Limit: min(s.cfg.ReplayLimit, dm.MaxPageLimit)}
	for {
		page, err := s.svc.Events(ctx, caller, f, pr)
		if err != nil {
			return nil, false, err
		}
		for _, e := range page.Items { // newest first
			if e.ID <= last {
				slices.Reverse(out)
				return out, true, nil
			}
			if len(out) == s.cfg.ReplayLimit {
				slices.Reverse(out)
				return out, false, nil
			}
			out = append(out, e)
		}
		if page.Next == "" {
			slices.Reverse(out)
			// The log ended before reaching last: retention removed
			// events the caller has not seen, or last is unknown.
			return out, false, nil
		}
		pr.Cursor = page.Next
	}
}
