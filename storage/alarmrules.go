package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// AlarmRuleRepo implements dm.AlarmRuleStore. The rule's condition is kept
// as one JSON document (models.AlarmRuleSpec); its kind is also a column
// so rules can be listed by kind.
type AlarmRuleRepo struct{ s *Store }

var _ dm.AlarmRuleStore = AlarmRuleRepo{}

// AlarmRules returns the alarm rule repository.
func (s *Store) AlarmRules() AlarmRuleRepo { return AlarmRuleRepo{s} }

const alarmRuleCols = "a.id, a.name, a.profile_id, a.device_id, a.severity, a.disabled, a.spec, a.created_at, a.updated_at"

func scanAlarmRule(sc scanner) (models.AlarmRule, error) {
	var r models.AlarmRule
	var prof, dev sql.NullInt64
	var sev, spec string
	var created, updated dbTime
	err := sc.Scan(&r.ID, &r.Name, &prof, &dev, &sev, &r.Disabled, &spec, &created, &updated)
	if err != nil {
		return r, err
	}
	r.ProfileID, r.DeviceID, r.Severity = prof.Int64, dev.Int64, models.AlarmSeverity(sev)
	r.CreatedAt, r.UpdatedAt = created.T, updated.T
	if err := json.Unmarshal([]byte(spec), &r.Spec); err != nil {
		return r, fmt.Errorf("alarm rule %d: stored spec: %w", r.ID, err)
	}
	return r, nil
}

func ruleSpecJSON(r *models.AlarmRule) (string, error) {
	if r.Name == "" {
		return "", fmt.Errorf("%w: alarm rule name is empty", dm.ErrInvalid)
	}
	if r.Spec.Kind == "" || r.Severity == "" {
		return "", fmt.Errorf("%w: an alarm rule needs a kind and a severity", dm.ErrInvalid)
	}
	b, err := json.Marshal(r.Spec)
	if err != nil {
		return "", fmt.Errorf("%w: alarm rule spec: %v", dm.ErrInvalid, err)
	}
	return string(b), nil
}

// Create implements dm.AlarmRuleStore.
func (r AlarmRuleRepo) Create(ctx context.Context, ar *models.AlarmRule) error {
	s := r.s
	what := fmt.Sprintf("create alarm rule %q", ar.Name)
	spec, err := ruleSpecJSON(ar)
	if err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &ar.CreatedAt, &ar.UpdatedAt)
	err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO alarm_rules (name, profile_id, device_id, kind, severity, disabled, spec, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		ar.Name, nullID(ar.ProfileID), nullID(ar.DeviceID), string(ar.Spec.Kind), string(ar.Severity), ar.Disabled, spec,
		s.t(ar.CreatedAt), s.t(ar.UpdatedAt)).Scan(&ar.ID)
	return s.wrap(err, what)
}

// Get implements dm.AlarmRuleStore.
func (r AlarmRuleRepo) Get(ctx context.Context, id int64) (models.AlarmRule, error) {
	ar, err := scanAlarmRule(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+alarmRuleCols+" FROM alarm_rules a WHERE a.id = ?"), id))
	return ar, r.s.wrap(err, fmt.Sprintf("alarm rule %d", id))
}

// Update implements dm.AlarmRuleStore.
func (r AlarmRuleRepo) Update(ctx context.Context, ar *models.AlarmRule) error {
	s := r.s
	what := fmt.Sprintf("update alarm rule %d", ar.ID)
	spec, err := ruleSpecJSON(ar)
	if err != nil {
		return s.wrap(err, what)
	}
	ar.UpdatedAt = s.now()
	err = affected(s.w.ExecContext(ctx, s.q(`UPDATE alarm_rules SET name = ?, profile_id = ?, device_id = ?, kind = ?, severity = ?, disabled = ?, spec = ?, updated_at = ?
		WHERE id = ?`),
		ar.Name, nullID(ar.ProfileID), nullID(ar.DeviceID), string(ar.Spec.Kind), string(ar.Severity), ar.Disabled, spec,
		s.t(ar.UpdatedAt), ar.ID))
	return s.wrap(err, what)
}

// Delete implements dm.AlarmRuleStore.
func (r AlarmRuleRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM alarm_rules WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete alarm rule %d", id))
}

// List implements dm.AlarmRuleStore.
func (r AlarmRuleRepo) List(ctx context.Context, f dm.AlarmRuleFilter, p dm.PageRequest) (dm.Page[models.AlarmRule], error) {
	lq := listQuery{cols: alarmRuleCols, from: "alarm_rules a"}
	if f.ProfileID != 0 {
		lq.w.add("a.profile_id = ?", f.ProfileID)
	}
	if f.DeviceID != 0 {
		lq.w.add("a.device_id = ?", f.DeviceID)
	}
	if f.Kind != "" {
		lq.w.add("a.kind = ?", string(f.Kind))
	}
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.AlarmRule, int64, error) {
		ar, err := scanAlarmRule(rows)
		return ar, ar.ID, err
	})
	return out, r.s.wrap(err, "list alarm rules")
}
