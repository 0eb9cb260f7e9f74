package client

import (
	"math"
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// observation is one server observation of a path (or of several, for
// Observe-Composite), with the state the notification attributes need.
//
// The rules (Core TS 1.1 §5.1.2): a notification is sent when a change
// condition holds and at least pmin has passed since the last one, or when
// pmax has passed without one (pmax is ignored unless it exceeds pmin).
// With none of gt, lt, st set any change is a condition; otherwise a
// numeric value crossing gt or lt (since the previous evaluation), or moving
// by st or more from the last notified value, is. The value is evaluated no
// more often than every epmin and at least every epmax.
type observation struct {
	token     string
	paths     []lwm2m.Path
	composite bool
	format    lwm2m.ContentFormat
	req       *coap.Message // the Observe request, for the transport

	lastNotify time.Time
	lastEval   time.Time
	dirty      bool // changed since the last evaluation
	pending    bool // a condition held; waiting for pmin
	sampled    []sample
	notified   []sample
}

// sample is a numeric reading of one observed path; ok is false for
// non-numeric targets.
type sample struct {
	v  float64
	ok bool
}

// timing is what an observation's schedule depends on.
type timing struct {
	pmin, pmax, epmin, epmax time.Duration
}

// attrSource gives the effective attributes of a path (with the server's
// default pmin/pmax applied) and samples numeric values.
type attrSource interface {
	effective(p lwm2m.Path) lwm2m.Attributes
	sampleAt(p lwm2m.Path) sample
}

func secs(v *uint32) time.Duration {
	if v == nil {
		return 0
	}
	return time.Duration(*v) * time.Second
}

// timingOf combines the attributes of the observed paths: a composite
// observation uses the smallest value each attribute takes.
func (ob *observation) timingOf(src attrSource) timing {
	var tm timing
	for i, p := range ob.paths {
		a := src.effective(p)
		x := timing{pmin: secs(a.Pmin), pmax: secs(a.Pmax), epmin: secs(a.Epmin), epmax: secs(a.Epmax)}
		if x.pmax != 0 && x.pmax <= x.pmin {
			x.pmax = 0 // "pmax < pmin": pmax is ignored
		}
		if x.epmax != 0 && x.epmax < x.epmin {
			x.epmax = 0
		}
		if i == 0 {
			tm = x
			continue
		}
		tm.pmin = min(tm.pmin, x.pmin)
		tm.epmin = min(tm.epmin, x.epmin)
		tm.pmax = minNonZero(tm.pmax, x.pmax)
		tm.epmax = minNonZero(tm.epmax, x.epmax)
	}
	return tm
}

func minNonZero(a, b time.Duration) time.Duration {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// start records the initial notification (the Observe response itself).
func (ob *observation) start(now time.Time, src attrSource) {
	ob.lastNotify, ob.lastEval = now, now
	ob.sampled = ob.sampleAll(src)
	ob.notified = slices.Clone(ob.sampled)
}

func (ob *observation) sampleAll(src attrSource) []sample {
	out := make([]sample, len(ob.paths))
	for i, p := range ob.paths {
		out[i] = src.sampleAt(p)
	}
	return out
}

// touches reports whether a change at p concerns this observation.
func (ob *observation) touches(p lwm2m.Path) bool {
	for _, q := range ob.paths {
		if q.Overlaps(p) {
			return true
		}
	}
	return false
}

// next returns when the observation needs attention again; ok is false
// when nothing is scheduled (no change pending and no pmax/epmax).
func (ob *observation) next(src attrSource) (time.Time, bool) {
	tm := ob.timingOf(src)
	var at time.Time
	ok := false
	consider := func(t time.Time) {
		if !ok || t.Before(at) {
			at, ok = t, true
		}
	}
	if ob.pending {
		consider(ob.lastNotify.Add(tm.pmin))
	}
	if ob.dirty {
		consider(ob.lastEval.Add(tm.epmin))
	}
	if tm.pmax > 0 {
		consider(ob.lastNotify.Add(tm.pmax))
	}
	if tm.epmax > 0 {
		consider(ob.lastEval.Add(tm.epmax))
	}
	return at, ok
}

// step evaluates and reports whether a notification is due now; the
// caller sends it and then calls sent.
func (ob *observation) step(now time.Time, src attrSource) bool {
	tm := ob.timingOf(src)
	evalDue := ob.dirty && !now.Before(ob.lastEval.Add(tm.epmin))
	if tm.epmax > 0 && !now.Before(ob.lastEval.Add(tm.epmax)) {
		evalDue = true
	}
	if evalDue {
		cur := ob.sampleAll(src)
		if ob.dirty && ob.conditionHolds(src, cur) || ob.thresholdsHold(src, cur) {
			ob.pending = true
		}
		ob.sampled = cur
		ob.dirty = false
		ob.lastEval = now
	}
	if ob.pending && !now.Before(ob.lastNotify.Add(tm.pmin)) {
		return true
	}
	return tm.pmax > 0 && !now.Before(ob.lastNotify.Add(tm.pmax))
}

// sent records that a notification went out at now.
func (ob *observation) sent(now time.Time, src attrSource) {
	ob.pending = false
	ob.lastNotify = now
	ob.notified = ob.sampleAll(src)
}

// conditionHolds applies the change conditions to a fresh sample after a
// change: any change when a path has none of gt/lt/st.
func (ob *observation) conditionHolds(src attrSource, cur []sample) bool {
	for i, p := range ob.paths {
		a := src.effective(p)
		if a.Gt == nil && a.Lt == nil && a.St == nil || !cur[i].ok {
			return true
		}
	}
	return ob.thresholdsHold(src, cur)
}

// thresholdsHold reports a gt/lt crossing since the previous evaluation
// or a step of st from the last notified value, on any numeric path.
func (ob *observation) thresholdsHold(src attrSource, cur []sample) bool {
	for i, p := range ob.paths {
		if !cur[i].ok {
			continue
		}
		a := src.effective(p)
		prev, last := ob.sampled[i], ob.notified[i]
		if a.Gt != nil && prev.ok && crossed(prev.v, cur[i].v, *a.Gt) {
			return true
		}
		if a.Lt != nil && prev.ok && crossed(prev.v, cur[i].v, *a.Lt) {
			return true
		}
		if a.St != nil && last.ok && math.Abs(cur[i].v-last.v) >= *a.St {
			return true
		}
	}
	return false
}

// crossed reports whether moving from a to b crosses threshold t (from at
// or below it to above it, or back).
func crossed(a, b, t float64) bool { return (a <= t) != (b <= t) }

// observations is a device's set of observations.
type observations struct {
	list []*observation
}

func (s *observations) add(ob *observation) {
	s.remove(ob.token)
	s.list = append(s.list, ob)
}

func (s *observations) remove(token string) bool {
	n := len(s.list)
	s.list = slices.DeleteFunc(s.list, func(o *observation) bool { return o.token == token })
	return len(s.list) != n
}

// removePaths drops the observations of exactly these paths (GET with
// Observe=1 on a path cancels it, whatever token the server uses).
func (s *observations) removePaths(paths []lwm2m.Path) {
	s.list = slices.DeleteFunc(s.list, func(o *observation) bool { return slices.Equal(o.paths, paths) })
}

func (s *observations) get(token string) (*observation, bool) {
	for _, o := range s.list {
		if o.token == token {
			return o, true
		}
	}
	return nil, false
}

func (s *observations) changed(p lwm2m.Path) {
	for _, o := range s.list {
		if o.touches(p) {
			o.dirty = true
		}
	}
}

func (s *observations) next(src attrSource) (time.Time, bool) {
	var at time.Time
	ok := false
	for _, o := range s.list {
		if t, has := o.next(src); has && (!ok || t.Before(at)) {
			at, ok = t, true
		}
	}
	return at, ok
}
