package client

import (
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// fakeSrc is an attrSource with fixed attributes and a settable value.
type fakeSrc struct {
	attrs lwm2m.Attributes
	val   float64
}

func (f *fakeSrc) effective(lwm2m.Path) lwm2m.Attributes { return f.attrs }
func (f *fakeSrc) sampleAt(lwm2m.Path) sample            { return sample{v: f.val, ok: true} }

// run drives one observation through value changes at given seconds and
// returns the seconds at which notifications went out, polling the schedule
// the way the Run loop does.
func run(t *testing.T, src *fakeSrc, changes map[int]float64, until int) []int {
	t.Helper()
	ob := &observation{token: "t", paths: []lwm2m.Path{lwm2m.MustPath("/3303/0/5700")}}
	ob.start(testStart, src)
	var sent []int
	for s := 1; s <= until; s++ {
		now := testStart.Add(time.Duration(s) * time.Second)
		if v, ok := changes[s]; ok {
			src.val = v
			ob.dirty = true
		}
		if at, ok := ob.next(src); !ok || at.After(now) {
			continue
		}
		if ob.step(now, src) {
			ob.sent(now, src)
			sent = append(sent, s)
		}
	}
	return sent
}

func eq(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestObservePminPmax(t *testing.T) {
	src := &fakeSrc{attrs: lwm2m.Attributes{Pmin: u32(10), Pmax: u32(30)}, val: 20}
	// A change at 3 waits for pmin (10); a change at 15 waits until 20
	// (pmin after the notification at 10); then nothing changes and pmax
	// brings one at 50 and 80.
	got := run(t, src, map[int]float64{3: 21, 15: 22}, 80)
	if want := []int{10, 20, 50, 80}; !eq(got, want) {
		t.Fatalf("notifications at %v, want %v", got, want)
	}
}

func TestObservePmaxIgnoredBelowPmin(t *testing.T) {
	src := &fakeSrc{attrs: lwm2m.Attributes{Pmin: u32(20), Pmax: u32(10)}, val: 20}
	if got := run(t, src, nil, 100); len(got) != 0 {
		t.Fatalf("pmax <= pmin must be ignored, got notifications at %v", got)
	}
}

func TestObserveGtLt(t *testing.T) {
	src := &fakeSrc{attrs: lwm2m.Attributes{Gt: f64(25), Lt: f64(15)}, val: 20}
	// 22: no crossing; 26 crosses gt up; 27 stays above; 24 crosses gt
	// down; 14 crosses lt down; 13 stays below.
	got := run(t, src, map[int]float64{1: 22, 2: 26, 3: 27, 4: 24, 5: 14, 6: 13}, 10)
	if want := []int{2, 4, 5}; !eq(got, want) {
		t.Fatalf("notifications at %v, want %v", got, want)
	}
}

func TestObserveStep(t *testing.T) {
	src := &fakeSrc{attrs: lwm2m.Attributes{St: f64(2)}, val: 20}
	// Steps are measured from the last notified value: 21 and 21.9 are
	// below st, 22 reaches it; 23 is 1 from 22; 19.5 is 2.5 from 22.
	got := run(t, src, map[int]float64{1: 21, 2: 21.9, 3: 22, 4: 23, 5: 19.5}, 10)
	if want := []int{3, 5}; !eq(got, want) {
		t.Fatalf("notifications at %v, want %v", got, want)
	}
}

func TestObserveAnyChangeWithoutConditions(t *testing.T) {
	src := &fakeSrc{val: 20}
	got := run(t, src, map[int]float64{2: 21, 4: 22}, 10)
	if want := []int{2, 4}; !eq(got, want) {
		t.Fatalf("notifications at %v, want %v", got, want)
	}
}

func TestObserveEpminEpmax(t *testing.T) {
	// epmin 5: a change at 1 is evaluated at 5 (and notifies, st=1); a
	// change of 0.5 at 7 is evaluated at 10 and does not; the change at 26
	// comes more than epmin after the last evaluation and goes at once.
	src := &fakeSrc{attrs: lwm2m.Attributes{Epmin: u32(5), Epmax: u32(20), St: f64(1)}, val: 20}
	got := run(t, src, map[int]float64{1: 22, 7: 22.5, 26: 25}, 40)
	if want := []int{5, 26}; !eq(got, want) {
		t.Fatalf("notifications at %v, want %v", got, want)
	}
	// epmax alone catches a value that changed without a change event
	// (a sensor that is only sampled).
	src = &fakeSrc{attrs: lwm2m.Attributes{Epmax: u32(10), St: f64(1)}, val: 20}
	ob := &observation{token: "t", paths: []lwm2m.Path{lwm2m.MustPath("/3303/0/5700")}}
	ob.start(testStart, src)
	src.val = 30 // no dirty flag: nobody told the observation
	if ob.step(testStart.Add(9*time.Second), src) {
		t.Fatal("notified before epmax")
	}
	if !ob.step(testStart.Add(10*time.Second), src) {
		t.Fatal("epmax evaluation did not notice a step of 10")
	}
}

func TestObservationTimingComposite(t *testing.T) {
	c, _ := newTestClient(t, nil)
	a, _ := lwm2m.ParseAttributes([]string{"pmin=5", "pmax=100"})
	_ = c.tree.WriteAttributes(lwm2m.MustPath("/3/0/9"), a, byServer)
	a, _ = lwm2m.ParseAttributes([]string{"pmin=2", "pmax=50"})
	_ = c.tree.WriteAttributes(lwm2m.MustPath("/3303/0"), a, byServer)
	ob := &observation{paths: []lwm2m.Path{lwm2m.MustPath("/3/0/9"), lwm2m.MustPath("/3303/0/5700")}, composite: true}
	tm := ob.timingOf(c)
	if tm.pmin != 2*time.Second || tm.pmax != 50*time.Second {
		t.Fatalf("composite timing %+v", tm)
	}
	// Server defaults apply where nothing is written.
	_ = c.tree.Set(lwm2m.MustPath("/1/0/3"), lwm2m.IntValue(77))
	if a := c.effective(lwm2m.MustPath("/4/0/2")); a.Pmax == nil || *a.Pmax != 77 {
		t.Fatalf("default pmax not applied: %+v", a)
	}
}
