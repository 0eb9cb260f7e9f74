package dm

import (
	"context"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// Event types the alarm engine reacts to besides telemetry and status:
// another part of dm (firmware updates, issue 7) records them and the
// matching rules follow.
const (
	// EventFirmwareFailed: a firmware update of the device failed; it
	// raises firmware-failed alarms.
	EventFirmwareFailed = "firmware.failed"
	// EventFirmwareUpdated: a firmware update succeeded; it clears them.
	EventFirmwareUpdated = "firmware.updated"
)

// thresholdRefresh is how often an alarm whose condition still holds is
// refreshed with the latest value (a repeat: Count goes up).
const thresholdRefresh = time.Minute

// ruleDevice keys per-rule, per-device state.
type ruleDevice struct{ rule, device int64 }

// threshold is what the engine knows about one threshold rule on one
// device: since when the condition holds (zero: it does not), whether the
// alarm is raised, and the last value.
type threshold struct {
	since     time.Time
	raised    bool
	refreshed time.Time
	last      float64
}

// kindRules are one kind's enabled rules, indexed by what they attach to.
type kindRules struct {
	global    []models.AlarmRule
	byProfile map[int64][]models.AlarmRule
	byDevice  map[int64][]models.AlarmRule
}

// ruleSet is the enabled rules by kind.
type ruleSet struct {
	loaded time.Time
	kinds  map[models.AlarmRuleKind]*kindRules
	count  int
}

func (rs *ruleSet) add(r models.AlarmRule) {
	k := rs.kinds[r.Spec.Kind]
	if k == nil {
		k = &kindRules{byProfile: map[int64][]models.AlarmRule{}, byDevice: map[int64][]models.AlarmRule{}}
		rs.kinds[r.Spec.Kind] = k
	}
	rs.count++
	switch {
	case r.DeviceID != 0:
		k.byDevice[r.DeviceID] = append(k.byDevice[r.DeviceID], r)
	case r.ProfileID != 0:
		k.byProfile[r.ProfileID] = append(k.byProfile[r.ProfileID], r)
	default:
		k.global = append(k.global, r)
	}
}

// each calls fn with each of d's rules of a kind, without allocating (the
// ingest path runs it for every notification).
func (rs *ruleSet) each(d models.Device, kind models.AlarmRuleKind, fn func(r *models.AlarmRule)) {
	if rs == nil || rs.count == 0 {
		return
	}
	k := rs.kinds[kind]
	if k == nil {
		return
	}
	for _, list := range [3][]models.AlarmRule{k.global, k.byProfile[d.ProfileID], k.byDevice[d.ID]} {
		for i := range list {
			fn(&list[i])
		}
	}
}

// applicable returns d's rules of a kind.
func (rs *ruleSet) applicable(d models.Device, kind models.AlarmRuleKind) []models.AlarmRule {
	var out []models.AlarmRule
	rs.each(d, kind, func(r *models.AlarmRule) { out = append(out, *r) })
	return out
}

// alarmEngine evaluates alarm rules: thresholds on arriving telemetry
// (and, for a duration, on its sweep), offline time on its sweep,
// firmware and security events as they are recorded. Its state is in
// memory: after a restart a threshold condition is learnt anew from the
// next value, and an alarm left open whose condition has ended is cleared
// by that value.
type alarmEngine struct {
	s *Service

	mu         sync.Mutex
	rules      *ruleSet
	thresholds map[ruleDevice]*threshold
	// offline holds the devices gone offline and since when; raised the
	// offline alarms raised for them.
	offline map[int64]time.Time
	raised  map[ruleDevice]bool
	// failures holds each device's recent security failures.
	failures map[int64][]time.Time
}

func newAlarmEngine(s *Service) *alarmEngine {
	return &alarmEngine{s: s, thresholds: map[ruleDevice]*threshold{}, offline: map[int64]time.Time{},
		raised: map[ruleDevice]bool{}, failures: map[int64][]time.Time{}}
}

// invalidate makes the next evaluation reload the rules.
func (ae *alarmEngine) invalidate() {
	ae.mu.Lock()
	ae.rules = nil
	ae.mu.Unlock()
}

// ruleSet returns the enabled rules, reloading them after CacheTTL.
func (ae *alarmEngine) ruleSet(ctx context.Context) *ruleSet {
	s := ae.s
	now := s.now()
	ae.mu.Lock()
	rs := ae.rules
	ae.mu.Unlock()
	if rs != nil && now.Sub(rs.loaded) < s.cfg.CacheTTL {
		return rs
	}
	rs = &ruleSet{loaded: now, kinds: map[models.AlarmRuleKind]*kindRules{}}
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := s.st.AlarmRules.List(ctx, AlarmRuleFilter{}, p)
		if err != nil {
			s.log.Error().Err(err).Msg("dm: loading alarm rules")
			return &ruleSet{}
		}
		for _, r := range pg.Items {
			if !r.Disabled {
				rs.add(r)
			}
		}
		if pg.Next == "" {
			break
		}
		p.Cursor = pg.Next
	}
	ae.mu.Lock()
	ae.rules = rs
	ae.mu.Unlock()
	return rs
}

// numeric is a value as a number, when it is one (booleans count 0 or 1).
func numeric(v lwm2m.Value) (float64, bool) {
	switch v.Type() {
	case lwm2m.TypeInteger:
		return float64(v.Int()), true
	case lwm2m.TypeUnsigned:
		return float64(v.Uint()), true
	case lwm2m.TypeFloat:
		return v.Float(), true
	case lwm2m.TypeBoolean:
		if v.Bool() {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// beyond reports whether v breaks a threshold rule.
func beyond(sp models.AlarmRuleSpec, v float64) bool {
	return sp.Above != nil && v > *sp.Above || sp.Below != nil && v < *sp.Below
}

// action is an alarm change decided under the engine's lock and carried
// out after it.
type action struct {
	rule   models.AlarmRule
	clear  bool
	reason string
	detail map[string]any
}

// telemetry evaluates threshold rules on a device's new points.
func (ae *alarmEngine) telemetry(ctx context.Context, d models.Device, pts []models.TelemetryPoint) {
	rs := ae.ruleSet(ctx)
	if rs.count == 0 || rs.kinds[models.RuleThreshold] == nil {
		return
	}
	now := ae.s.now()
	var acts []action
	ae.mu.Lock()
	rs.each(d, models.RuleThreshold, func(rp *models.AlarmRule) {
		r := *rp
		for _, p := range pts {
			if p.Key != r.Spec.Key {
				continue
			}
			v, ok := numeric(p.Value)
			if !ok {
				continue
			}
			k := ruleDevice{r.ID, d.ID}
			st, known := ae.thresholds[k]
			if !known {
				st = &threshold{}
				ae.thresholds[k] = st
			}
			st.last = v
			if !beyond(r.Spec, v) {
				if st.raised || !known {
					// Not known: an alarm may be left open from before a
					// restart; clearing one that is not there is a no-op.
					acts = append(acts, action{rule: r, clear: true, reason: "value back within the threshold",
						detail: map[string]any{"key": p.Key, "value": v}})
				}
				st.since, st.raised = time.Time{}, false
				continue
			}
			if st.since.IsZero() {
				st.since = p.Time
			}
			due := !st.raised && p.Time.Sub(st.since) >= r.Spec.For.D() ||
				st.raised && now.Sub(st.refreshed) >= thresholdRefresh
			if due {
				st.raised, st.refreshed = true, now
				acts = append(acts, action{rule: r, reason: "threshold crossed", detail: thresholdDetail(r, p.Key, v, st.since)})
			}
		}
	})
	ae.mu.Unlock()
	ae.apply(ctx, d, acts)
}

func thresholdDetail(r models.AlarmRule, key string, v float64, since time.Time) map[string]any {
	m := map[string]any{"key": key, "value": v, "since": since}
	if r.Spec.Above != nil {
		m["above"] = *r.Spec.Above
	}
	if r.Spec.Below != nil {
		m["below"] = *r.Spec.Below
	}
	if r.Spec.For > 0 {
		m["for"] = r.Spec.For
	}
	return m
}

// status follows a device's connection status: going offline starts the
// offline clock; coming back clears offline alarms.
func (ae *alarmEngine) status(ctx context.Context, d models.Device, from, to models.DeviceStatus, at time.Time) {
	switch {
	case to == models.StatusOffline:
		ae.mu.Lock()
		ae.offline[d.ID] = at
		ae.mu.Unlock()
	case from == models.StatusOffline || from == models.StatusNever:
		ae.back(ctx, d, models.RuleOffline, "the device is back")
	}
}

// registered clears the alarms a registration ends: offline and repeated
// authentication failures.
func (ae *alarmEngine) registered(ctx context.Context, d models.Device) {
	ae.back(ctx, d, models.RuleOffline, "the device registered")
	ae.mu.Lock()
	delete(ae.failures, d.ID)
	ae.mu.Unlock()
	ae.back(ctx, d, models.RuleAuthFailures, "the device registered")
}

// back clears d's alarms of a kind.
func (ae *alarmEngine) back(ctx context.Context, d models.Device, kind models.AlarmRuleKind, reason string) {
	rules := ae.ruleSet(ctx).applicable(d, kind)
	ae.mu.Lock()
	if kind == models.RuleOffline {
		delete(ae.offline, d.ID)
	}
	var acts []action
	for _, r := range rules {
		delete(ae.raised, ruleDevice{r.ID, d.ID})
		acts = append(acts, action{rule: r, clear: true, reason: reason})
	}
	ae.mu.Unlock()
	ae.apply(ctx, d, acts)
}

// event reacts to a recorded event: firmware results and security
// failures of known devices.
func (ae *alarmEngine) event(ctx context.Context, e models.Event) {
	if e.DeviceID == 0 {
		return
	}
	var kind models.AlarmRuleKind
	switch {
	case e.Type == EventFirmwareFailed, e.Type == EventFirmwareUpdated:
		kind = models.RuleFirmwareFailed
	case e.Category == models.CategorySecurity:
		kind = models.RuleAuthFailures
	default:
		return
	}
	rs := ae.ruleSet(ctx)
	if rs.count == 0 {
		return
	}
	d, err := ae.s.deviceByID(ctx, e.DeviceID)
	if err != nil {
		return
	}
	rules := rs.applicable(d, kind)
	if len(rules) == 0 {
		return
	}
	var acts []action
	switch {
	case e.Type == EventFirmwareUpdated:
		for _, r := range rules {
			acts = append(acts, action{rule: r, clear: true, reason: "a firmware update succeeded"})
		}
	case e.Type == EventFirmwareFailed:
		for _, r := range rules {
			acts = append(acts, action{rule: r, reason: "firmware update failed", detail: map[string]any{"event_id": e.ID, "data": e.Data}})
		}
	default:
		at := e.Time
		ae.mu.Lock()
		for _, r := range rules {
			window := r.Spec.Window.D()
			fs := append(ae.failures[d.ID], at)
			i := 0
			for i < len(fs) && at.Sub(fs[i]) > window {
				i++
			}
			fs = fs[i:]
			if len(fs) > maxRuleCount {
				fs = fs[len(fs)-maxRuleCount:]
			}
			ae.failures[d.ID] = fs
			if len(fs) >= r.Spec.Count {
				acts = append(acts, action{rule: r, reason: "repeated failed handshakes or registrations",
					detail: map[string]any{"failures": len(fs), "window": r.Spec.Window, "last": e.Type}})
			}
		}
		ae.mu.Unlock()
	}
	ae.apply(ctx, d, acts)
}

// sweep raises what time alone decides: offline devices past a rule's
// duration, thresholds held past theirs with no new value.
func (ae *alarmEngine) sweep(ctx context.Context) {
	rs := ae.ruleSet(ctx)
	if rs.count == 0 {
		return
	}
	now := ae.s.now()
	type due struct {
		device int64
		acts   []action
	}
	var todo []due
	ae.mu.Lock()
	for id, since := range ae.offline {
		var acts []action
		d := models.Device{ID: id}
		if pd, ok := ae.s.rt.devices.cachedByID(id); ok {
			d = pd
		}
		for _, r := range rs.applicable(d, models.RuleOffline) {
			k := ruleDevice{r.ID, id}
			if ae.raised[k] || now.Sub(since) < r.Spec.For.D() {
				continue
			}
			ae.raised[k] = true
			acts = append(acts, action{rule: r, reason: "offline for longer than " + r.Spec.For.D().String(),
				detail: map[string]any{"offline_since": since, "for": r.Spec.For}})
		}
		if len(acts) > 0 {
			todo = append(todo, due{id, acts})
		}
	}
	ae.mu.Unlock()
	for _, t := range todo {
		d, err := ae.s.deviceByID(ctx, t.device)
		if err != nil {
			continue
		}
		if len(rs.applicable(d, models.RuleOffline)) == 0 {
			continue // the cached copy was stale: the rules no longer apply
		}
		ae.apply(ctx, d, t.acts)
	}
	ae.sweepThresholds(ctx, rs, now)
}

// sweepThresholds raises threshold alarms whose duration has passed since
// the value crossed, when no newer value has said otherwise.
func (ae *alarmEngine) sweepThresholds(ctx context.Context, rs *ruleSet, now time.Time) {
	type due struct {
		device int64
		rule   int64
		v      float64
		since  time.Time
	}
	var todo []due
	ae.mu.Lock()
	for k, st := range ae.thresholds {
		if st.raised || st.since.IsZero() {
			continue
		}
		todo = append(todo, due{k.device, k.rule, st.last, st.since})
	}
	ae.mu.Unlock()
	for _, t := range todo {
		d, err := ae.s.deviceByID(ctx, t.device)
		if err != nil {
			continue
		}
		for _, r := range rs.applicable(d, models.RuleThreshold) {
			if r.ID != t.rule || now.Sub(t.since) < r.Spec.For.D() {
				continue
			}
			ae.mu.Lock()
			st := ae.thresholds[ruleDevice{r.ID, d.ID}]
			fire := st != nil && !st.raised && st.since.Equal(t.since)
			if fire {
				st.raised, st.refreshed = true, now
			}
			ae.mu.Unlock()
			if fire {
				ae.apply(ctx, d, []action{{rule: r, reason: "threshold crossed", detail: thresholdDetail(r, r.Spec.Key, t.v, t.since)}})
			}
		}
	}
}

// forget drops what the engine holds about a deleted device.
func (ae *alarmEngine) forget(id int64) {
	ae.mu.Lock()
	defer ae.mu.Unlock()
	delete(ae.offline, id)
	delete(ae.failures, id)
	for k := range ae.thresholds {
		if k.device == id {
			delete(ae.thresholds, k)
		}
	}
	for k := range ae.raised {
		if k.device == id {
			delete(ae.raised, k)
		}
	}
}

// apply carries out alarm changes.
func (ae *alarmEngine) apply(ctx context.Context, d models.Device, acts []action) {
	for _, a := range acts {
		if a.clear {
			ae.s.clearRule(ctx, a.rule, d, a.reason)
		} else {
			ae.s.raiseAlarm(ctx, a.rule, d, a.reason, a.detail)
		}
	}
}

// run sweeps every AlarmInterval until ctx ends. At start it learns which
// devices are offline from the store.
func (ae *alarmEngine) run(ctx context.Context) {
	ae.seedOffline(ctx)
	t := time.NewTicker(ae.s.cfg.AlarmInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ae.sweep(ctx)
		}
	}
}

// seedOffline loads the devices already offline, from when they were last
// seen.
func (ae *alarmEngine) seedOffline(ctx context.Context) {
	s := ae.s
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := s.st.Devices.List(ctx, DeviceFilter{Statuses: []models.DeviceStatus{models.StatusOffline}}, p)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error().Err(err).Msg("dm: loading offline devices for alarms")
			}
			return
		}
		ae.mu.Lock()
		for _, d := range pg.Items {
			if _, ok := ae.offline[d.ID]; !ok {
				since := d.LastSeen
				if since.IsZero() {
					since = d.UpdatedAt
				}
				ae.offline[d.ID] = since
			}
		}
		ae.mu.Unlock()
		if pg.Next == "" {
			return
		}
		p.Cursor = pg.Next
	}
}
