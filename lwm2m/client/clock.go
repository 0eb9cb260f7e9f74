package client

import (
	"sort"
	"sync"
	"time"
)

// Clock is the client's source of time. Everything that is due later —
// registration updates, notifications, value drift, queue-mode sleep — is
// scheduled through it, so tests drive a ManualClock and stay deterministic.
type Clock interface {
	Now() time.Time
	// NewTimer returns a stopped timer; Reset arms it.
	NewTimer() Timer
}

// Timer fires once on C after Reset(d). Reset re-arms it (a pending fire
// that was not received is dropped); Stop disarms it.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a timer backed by time.Timer.
func (SystemClock) NewTimer() Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &sysTimer{t: t}
}

type sysTimer struct{ t *time.Timer }

func (s *sysTimer) C() <-chan time.Time   { return s.t.C }
func (s *sysTimer) Reset(d time.Duration) { s.t.Reset(d) } // Go 1.23+: Reset drains
func (s *sysTimer) Stop()                 { s.t.Stop() }

// ManualClock is a Clock that moves only when Advance is called. Timers
// whose deadline is reached fire in deadline order.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's current time.
func (m *ManualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// NewTimer returns a stopped manual timer.
func (m *ManualClock) NewTimer() Timer {
	t := &manualTimer{clock: m, c: make(chan time.Time, 1)}
	m.mu.Lock()
	m.timers = append(m.timers, t)
	m.mu.Unlock()
	return t
}

// Advance moves the clock forward by d and fires every timer that is due.
func (m *ManualClock) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	now := m.now
	var due []*manualTimer
	for _, t := range m.timers {
		if t.armed && !t.at.After(now) {
			due = append(due, t)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.armed = false
		select {
		case t.c <- now:
		default:
		}
	}
	m.mu.Unlock()
}

// Armed reports how many timers are waiting; tests use it to know that a
// loop has gone to sleep before advancing the clock.
func (m *ManualClock) Armed() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.timers {
		if t.armed {
			n++
		}
	}
	return n
}

// NextDeadline returns the earliest armed deadline, if any.
func (m *ManualClock) NextDeadline() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best time.Time
	ok := false
	for _, t := range m.timers {
		if t.armed && (!ok || t.at.Before(best)) {
			best, ok = t.at, true
		}
	}
	return best, ok
}

type manualTimer struct {
	clock *ManualClock
	c     chan time.Time
	at    time.Time
	armed bool
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Reset(d time.Duration) {
	m := t.clock
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	t.at = m.now.Add(d)
	t.armed = true
	if d <= 0 {
		t.armed = false
		t.c <- m.now
	}
}

func (t *manualTimer) Stop() {
	t.clock.mu.Lock()
	t.armed = false
	t.clock.mu.Unlock()
}
