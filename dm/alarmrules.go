package dm

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// Limits on alarm rules.
const (
	maxRuleName   = 128
	maxRuleCount  = 1000
	maxRuleWindow = 30 * 24 * time.Hour
)

// AlarmRuleInput creates or replaces an alarm rule. Profile (a name or an
// id) or Device (an endpoint) attaches it; neither applies it to every
// device.
type AlarmRuleInput struct {
	Name     string
	Profile  string
	Device   string
	Severity models.AlarmSeverity
	Disabled bool
	Spec     models.AlarmRuleSpec
}

// Alarm rules are fleet configuration: managing them needs the admin or
// operator role.

// CreateAlarmRule validates and stores a rule; it applies at once.
func (s *Service) CreateAlarmRule(ctx context.Context, who Principal, in AlarmRuleInput) (models.AlarmRule, error) {
	if err := needFleet(who, "managing alarm rules"); err != nil {
		return models.AlarmRule{}, err
	}
	r, err := s.ruleFromInput(ctx, in)
	if err != nil {
		return models.AlarmRule{}, err
	}
	if err := s.st.AlarmRules.Create(ctx, &r); err != nil {
		return models.AlarmRule{}, err
	}
	s.rt.alarms.invalidate()
	s.record(ctx, ruleEvent(r, "alarm-rule.created", who))
	return r, nil
}

// GetAlarmRule returns a rule.
func (s *Service) GetAlarmRule(ctx context.Context, who Principal, id int64) (models.AlarmRule, error) {
	if err := needFleet(who, "managing alarm rules"); err != nil {
		return models.AlarmRule{}, err
	}
	r, err := s.st.AlarmRules.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return models.AlarmRule{}, notFound("alarm rule", id)
	}
	return r, err
}

// ListAlarmRules lists rules in id order.
func (s *Service) ListAlarmRules(ctx context.Context, who Principal, f AlarmRuleFilter, p PageRequest) (Page[models.AlarmRule], error) {
	if err := needFleet(who, "managing alarm rules"); err != nil {
		return Page[models.AlarmRule]{}, err
	}
	return s.st.AlarmRules.List(ctx, f, p)
}

// UpdateAlarmRule replaces a rule; alarms it raised stay as they are.
func (s *Service) UpdateAlarmRule(ctx context.Context, who Principal, id int64, in AlarmRuleInput) (models.AlarmRule, error) {
	old, err := s.GetAlarmRule(ctx, who, id)
	if err != nil {
		return models.AlarmRule{}, err
	}
	r, err := s.ruleFromInput(ctx, in)
	if err != nil {
		return models.AlarmRule{}, err
	}
	r.ID, r.CreatedAt = old.ID, old.CreatedAt
	if err := s.st.AlarmRules.Update(ctx, &r); err != nil {
		return models.AlarmRule{}, err
	}
	s.rt.alarms.invalidate()
	s.record(ctx, ruleEvent(r, "alarm-rule.updated", who))
	return r, nil
}

// DeleteAlarmRule deletes a rule and clears the alarms it left open.
func (s *Service) DeleteAlarmRule(ctx context.Context, who Principal, id int64) error {
	r, err := s.GetAlarmRule(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.st.AlarmRules.Delete(ctx, id); err != nil {
		return err
	}
	s.rt.alarms.invalidate()
	s.record(ctx, ruleEvent(r, "alarm-rule.deleted", who))
	f := AlarmFilter{Rule: ruleKey(id), States: []models.AlarmState{models.AlarmActive, models.AlarmAcknowledged}}
	for {
		pg, err := s.st.Alarms.List(ctx, f, PageRequest{Limit: MaxPageLimit})
		if err != nil {
			return err
		}
		for _, a := range pg.Items {
			if _, err := s.clearAlarmID(ctx, a.ID, "the rule was deleted", who.Actor()); err != nil {
				return err
			}
		}
		if pg.Next == "" || len(pg.Items) == 0 {
			return nil
		}
	}
}

// ruleFromInput resolves and validates a rule.
func (s *Service) ruleFromInput(ctx context.Context, in AlarmRuleInput) (models.AlarmRule, error) {
	r := models.AlarmRule{Name: strings.TrimSpace(in.Name), Severity: in.Severity, Disabled: in.Disabled, Spec: in.Spec}
	switch {
	case r.Name == "":
		return r, invalid("name", "is required")
	case len(r.Name) > maxRuleName:
		return r, invalid("name", "%d bytes, at most %d", len(r.Name), maxRuleName)
	case in.Profile != "" && in.Device != "":
		return r, invalid("device", "a rule is attached to a profile or a device, not both")
	}
	if err := checkName(r.Name); err != nil {
		return r, err
	}
	switch r.Severity {
	case models.SeverityCritical, models.SeverityMajor, models.SeverityMinor, models.SeverityWarning, models.SeverityInfo:
	default:
		return r, invalid("severity", "%q is not critical, major, minor, warning or info", r.Severity)
	}
	var err error
	if r.ProfileID, err = s.profileRef(ctx, in.Profile); err != nil {
		return r, err
	}
	if in.Device != "" {
		d, err := s.st.Devices.GetByEndpoint(ctx, in.Device)
		if errors.Is(err, ErrNotFound) {
			return r, invalid("device", "no device %q", in.Device)
		}
		if err != nil {
			return r, err
		}
		r.DeviceID = d.ID
	}
	return r, checkRuleSpec(&r.Spec)
}

// checkRuleSpec checks the fields a rule's kind uses and refuses the
// others.
func checkRuleSpec(sp *models.AlarmRuleSpec) error {
	finite := func(field string, v *float64) error {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return invalid(field, "must be a finite number")
		}
		return nil
	}
	unused := func(fields ...string) error {
		for _, f := range fields {
			set := false
			switch f {
			case "key":
				set = sp.Key != ""
			case "above":
				set = sp.Above != nil
			case "below":
				set = sp.Below != nil
			case "for":
				set = sp.For != 0
			case "count":
				set = sp.Count != 0
			case "window":
				set = sp.Window != 0
			}
			if set {
				return invalid("spec."+f, "does not apply to a %s rule", sp.Kind)
			}
		}
		return nil
	}
	if sp.For < 0 || sp.For.D() > maxRuleWindow {
		return invalid("spec.for", "must be between 0 and %v", maxRuleWindow)
	}
	switch sp.Kind {
	case models.RuleThreshold:
		switch {
		case strings.TrimSpace(sp.Key) == "":
			return invalid("spec.key", "a threshold rule names a telemetry key")
		case sp.Above == nil && sp.Below == nil:
			return invalid("spec.above", "a threshold rule needs above, below or both")
		case sp.Above != nil && sp.Below != nil && *sp.Below >= *sp.Above:
			return invalid("spec.below", "must be less than above (the alarm is raised outside below..above)")
		}
		if err := finite("spec.above", sp.Above); err != nil {
			return err
		}
		if err := finite("spec.below", sp.Below); err != nil {
			return err
		}
		return unused("count", "window")
	case models.RuleOffline:
		return unused("key", "above", "below", "count", "window")
	case models.RuleFirmwareFailed:
		return unused("key", "above", "below", "for", "count", "window")
	case models.RuleAuthFailures:
		switch {
		case sp.Count < 1 || sp.Count > maxRuleCount:
			return invalid("spec.count", "must be 1 to %d", maxRuleCount)
		case sp.Window <= 0 || sp.Window.D() > maxRuleWindow:
			return invalid("spec.window", "must be positive and at most %v", maxRuleWindow)
		}
		return unused("key", "above", "below", "for")
	}
	return invalid("spec.kind", "%q is not threshold, offline, firmware-failed or auth-failures", sp.Kind)
}

// ruleKey is the Alarm.Rule of the alarms a rule raises.
func ruleKey(id int64) string { return strconv.FormatInt(id, 10) }

func ruleEvent(r models.AlarmRule, typ string, who Principal) models.Event {
	return models.Event{Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"rule_id": r.ID, "name": r.Name, "kind": r.Spec.Kind})}
}
