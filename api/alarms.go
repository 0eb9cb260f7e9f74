package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// alarmDTO is an alarm.
type alarmDTO struct {
	ID         int64           `json:"id"`
	DeviceID   int64           `json:"device_id"`
	Endpoint   string          `json:"endpoint,omitempty"`
	CustomerID int64           `json:"customer_id,omitempty"`
	Rule       string          `json:"rule"`
	Type       string          `json:"type"`
	Severity   string          `json:"severity"`
	State      string          `json:"state"`
	Message    string          `json:"message,omitempty"`
	Details    json.RawMessage `json:"details,omitempty"`
	Count      int64           `json:"count"`
	StartedAt  time.Time       `json:"started_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	AckedAt    *time.Time      `json:"acked_at,omitempty"`
	AckedBy    string          `json:"acked_by,omitempty"`
	ClearedAt  *time.Time      `json:"cleared_at,omitempty"`
}

func toAlarmDTO(v dm.AlarmView) alarmDTO {
	a := v.Alarm
	out := alarmDTO{ID: a.ID, DeviceID: a.DeviceID, Endpoint: v.Endpoint, CustomerID: a.CustomerID, Rule: a.Rule, Type: a.Type,
		Severity: string(a.Severity), State: string(a.State), Message: a.Message, Count: a.Count, StartedAt: a.StartedAt.UTC(),
		UpdatedAt: a.UpdatedAt.UTC(), AckedAt: optTime(a.AckedAt), AckedBy: a.AckedBy, ClearedAt: optTime(a.ClearedAt)}
	if len(a.Details) > 0 && json.Valid(a.Details) {
		out.Details = a.Details
	}
	return out
}

var (
	alarmStates     = []models.AlarmState{models.AlarmActive, models.AlarmAcknowledged, models.AlarmCleared}
	alarmSeverities = []models.AlarmSeverity{models.SeverityCritical, models.SeverityMajor, models.SeverityMinor,
		models.SeverityWarning, models.SeverityInfo}
)

// listAlarms is GET /alarms: ?state=, ?severity=, ?device= (endpoint) and
// ?rule= (rule id).
func (s *Server) listAlarms(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	var f dm.AlarmFilter
	for _, st := range queryList(q, "state") {
		if !slices.Contains(alarmStates, models.AlarmState(st)) {
			return badField("state", "%q is not active, acknowledged or cleared", st)
		}
		f.States = append(f.States, models.AlarmState(st))
	}
	for _, sv := range queryList(q, "severity") {
		if !slices.Contains(alarmSeverities, models.AlarmSeverity(sv)) {
			return badField("severity", "%q is not critical, major, minor, warning or info", sv)
		}
		f.Severities = append(f.Severities, models.AlarmSeverity(sv))
	}
	if rule, err := queryID(q, "rule"); err != nil {
		return err
	} else if rule != 0 {
		f.Rule = strconv.FormatInt(rule, 10)
	}
	if ep := q.Get("device"); ep != "" {
		d, err := s.svc.GetDevice(r.Context(), who(r), ep)
		if err != nil {
			return err
		}
		f.DeviceID = d.ID
	}
	page, err := s.svc.ListAlarms(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toAlarmDTO))
}

func (s *Server) alarmAction(w http.ResponseWriter, r *http.Request, act func(int64) (dm.AlarmView, error)) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	a, err := act(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAlarmDTO(a))
}

func (s *Server) getAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.alarmAction(w, r, func(id int64) (dm.AlarmView, error) { return s.svc.GetAlarm(r.Context(), who(r), id) })
}

func (s *Server) ackAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.alarmAction(w, r, func(id int64) (dm.AlarmView, error) { return s.svc.AcknowledgeAlarm(r.Context(), who(r), id) })
}

func (s *Server) clearAlarm(w http.ResponseWriter, r *http.Request) error {
	return s.alarmAction(w, r, func(id int64) (dm.AlarmView, error) { return s.svc.ClearAlarm(r.Context(), who(r), id) })
}

// alarmRuleDTO is an alarm rule.
type alarmRuleDTO struct {
	ID        int64                `json:"id"`
	Name      string               `json:"name"`
	ProfileID int64                `json:"profile_id,omitempty"`
	DeviceID  int64                `json:"device_id,omitempty"`
	Severity  string               `json:"severity"`
	Disabled  bool                 `json:"disabled"`
	Spec      models.AlarmRuleSpec `json:"spec"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
}

func toAlarmRuleDTO(r models.AlarmRule) alarmRuleDTO {
	return alarmRuleDTO{ID: r.ID, Name: r.Name, ProfileID: r.ProfileID, DeviceID: r.DeviceID, Severity: string(r.Severity),
		Disabled: r.Disabled, Spec: r.Spec, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// alarmRuleBodyDTO creates or replaces a rule: profile (name or id) or
// device (endpoint) attaches it; neither applies it to every device.
type alarmRuleBodyDTO struct {
	Name     string               `json:"name"`
	Profile  ref                  `json:"profile"`
	Device   string               `json:"device"`
	Severity string               `json:"severity"`
	Disabled bool                 `json:"disabled"`
	Spec     models.AlarmRuleSpec `json:"spec"`
}

func (b alarmRuleBodyDTO) input() dm.AlarmRuleInput {
	return dm.AlarmRuleInput{Name: b.Name, Profile: string(b.Profile), Device: b.Device, Severity: models.AlarmSeverity(b.Severity),
		Disabled: b.Disabled, Spec: b.Spec}
}

func (s *Server) listAlarmRules(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	f := dm.AlarmRuleFilter{Kind: models.AlarmRuleKind(q.Get("kind"))}
	if p := q.Get("profile"); p != "" {
		prof, err := s.svc.GetProfile(r.Context(), who(r), p)
		if err != nil {
			return err
		}
		f.ProfileID = prof.ID
	}
	if ep := q.Get("device"); ep != "" {
		d, err := s.svc.GetDevice(r.Context(), who(r), ep)
		if err != nil {
			return err
		}
		f.DeviceID = d.ID
	}
	page, err := s.svc.ListAlarmRules(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toAlarmRuleDTO))
}

func (s *Server) createAlarmRule(w http.ResponseWriter, r *http.Request) error {
	var body alarmRuleBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	rule, err := s.svc.CreateAlarmRule(r.Context(), who(r), body.input())
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/alarm-rules/"+strconv.FormatInt(rule.ID, 10))
	return writeJSON(w, http.StatusCreated, toAlarmRuleDTO(rule))
}

func (s *Server) getAlarmRule(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	rule, err := s.svc.GetAlarmRule(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAlarmRuleDTO(rule))
}

func (s *Server) updateAlarmRule(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	var body alarmRuleBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	rule, err := s.svc.UpdateAlarmRule(r.Context(), who(r), id, body.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAlarmRuleDTO(rule))
}

func (s *Server) deleteAlarmRule(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.svc.DeleteAlarmRule)
}
