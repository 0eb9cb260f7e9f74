package sim

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// Latency kinds a fleet measures: the client's exchange kinds, and
// "request", every uplink request but Register and Bootstrap.
var latencyKinds = []string{"register", "update", "notify", "send", "deregister", "bootstrap", "request"}

// Counters are the fleet's event totals.
type Counters struct {
	Registrations   uint64 `json:"registrations"`
	Updates         uint64 `json:"updates"`
	Deregistrations uint64 `json:"deregistrations"`
	Bootstraps      uint64 `json:"bootstraps"`
	Notifications   uint64 `json:"notifications"`
	Sends           uint64 `json:"sends"`
	SendFailures    uint64 `json:"send_failures"`
	SendsSkipped    uint64 `json:"sends_skipped"`
	// SendsCancelled were under way when the fleet stopped: the server
	// may or may not have them.
	SendsCancelled uint64 `json:"sends_cancelled"`
	Changes        uint64 `json:"changes"`
	UpdatesAsked   uint64 `json:"updates_asked"`
	Asleep         uint64 `json:"asleep"`
	Awake          uint64 `json:"awake"`
	Reboots        uint64 `json:"reboots"`
	Errors         uint64 `json:"errors"`
}

// counters is the live, atomic form of Counters.
type counters struct {
	registrations, updates, deregistrations, bootstraps, notifications       atomic.Uint64
	sends, sendFailures, sendsSkipped, sendsCancelled, changes, updatesAsked atomic.Uint64
	asleep, awake, reboots, errors                                           atomic.Uint64
}

func (c *counters) load() Counters {
	return Counters{
		Registrations: c.registrations.Load(), Updates: c.updates.Load(), Deregistrations: c.deregistrations.Load(),
		Bootstraps: c.bootstraps.Load(), Notifications: c.notifications.Load(), Sends: c.sends.Load(),
		SendFailures: c.sendFailures.Load(), SendsSkipped: c.sendsSkipped.Load(), SendsCancelled: c.sendsCancelled.Load(), Changes: c.changes.Load(),
		UpdatesAsked: c.updatesAsked.Load(), Asleep: c.asleep.Load(), Awake: c.awake.Load(),
		Reboots: c.reboots.Load(), Errors: c.errors.Load(),
	}
}

// Device state bits.
const (
	stRegistered uint32 = 1 << iota
	stSleeping
	stEver // registered at least once
)

// member is one device of the fleet at run time.
type member struct {
	c     atomic.Pointer[client.Client]
	state atomic.Uint32
}

// stats gathers what the devices report.
type stats struct {
	start    time.Time
	counters counters
	// gauges
	started, registered, online, asleep, ever atomic.Int64
	// lastFirstReg is when the latest device registered for the first
	// time (nanoseconds after start).
	lastFirstReg atomic.Int64
	hist         map[string]*Histogram // fixed keys: read-only after newStats
	errs         errorSamples
}

func newStats(start time.Time) *stats {
	s := &stats{start: start, hist: map[string]*Histogram{}}
	for _, k := range latencyKinds {
		s.hist[k] = new(Histogram)
	}
	return s
}

// contribution is what a state adds to the registered, online and asleep
// gauges.
func contribution(st uint32) (reg, online, asleep int64) {
	if st&stRegistered == 0 {
		return 0, 0, 0
	}
	if st&stSleeping != 0 {
		return 1, 0, 1
	}
	return 1, 1, 0
}

// transition moves m's state with f and adjusts the gauges.
func (s *stats) transition(m *member, f func(uint32) uint32) {
	for {
		old := m.state.Load()
		nu := f(old)
		if nu == old {
			return
		}
		if !m.state.CompareAndSwap(old, nu) {
			continue
		}
		r0, o0, a0 := contribution(old)
		r1, o1, a1 := contribution(nu)
		s.registered.Add(r1 - r0)
		s.online.Add(o1 - o0)
		s.asleep.Add(a1 - a0)
		if old&stEver == 0 && nu&stEver != 0 {
			s.ever.Add(1)
			s.lastFirstReg.Store(int64(time.Since(s.start)))
		}
		return
	}
}

// events returns the client callbacks that feed s for member m.
func (s *stats) events(m *member) client.Events {
	c := &s.counters
	return client.Events{
		Registered: func(string, string) {
			c.registrations.Add(1)
			s.transition(m, func(st uint32) uint32 { return (st | stRegistered | stEver) &^ stSleeping })
		},
		Updated:      func(string) { c.updates.Add(1) },
		Deregistered: func(string) { c.deregistrations.Add(1); s.transition(m, unregister) },
		Bootstrapped: func(string) { c.bootstraps.Add(1) },
		Notified:     func(string, []lwm2m.Path) { c.notifications.Add(1) },
		Sent:         func(string, int) { c.sends.Add(1) },
		Error: func(ep string, err error) {
			c.errors.Add(1)
			s.errs.add(ep, err)
		},
		Latency: s.latency,
		Asleep: func(string) {
			c.asleep.Add(1)
			s.transition(m, func(st uint32) uint32 { return st | stSleeping })
		},
		Awake: func(string) {
			c.awake.Add(1)
			s.transition(m, func(st uint32) uint32 { return st &^ stSleeping })
		},
		Rebooted: func(string) { c.reboots.Add(1); s.transition(m, unregister) },
	}
}

func unregister(st uint32) uint32 { return st &^ (stRegistered | stSleeping) }

func (s *stats) latency(_, kind string, d time.Duration) {
	if h := s.hist[kind]; h != nil {
		h.Record(d)
	}
	if kind != "register" && kind != "bootstrap" {
		s.hist["request"].Record(d)
	}
}

// Snapshot is the fleet's state at one moment.
type Snapshot struct {
	// Phase is new, provisioning, running, stopping or done.
	Phase   string
	Time    time.Time
	Elapsed time.Duration
	// Devices is the fleet size, Started how many have been started.
	Devices, Started int
	// Registered devices hold a registration; Online ones are also awake;
	// Asleep ones are registered queue-mode devices sleeping; Ever counts
	// devices that registered at least once.
	Registered, Online, Asleep, Ever int
	// LastFirstRegistration is when (after the start) the latest device
	// registered for the first time.
	LastFirstRegistration time.Duration
	Counters
	// Latency holds a histogram per kind (see Fleet.Snapshot).
	Latency map[string]HistSnapshot
}

func (s *stats) snapshot(devices int) Snapshot {
	now := time.Now()
	snap := Snapshot{
		Time:                  now,
		Elapsed:               now.Sub(s.start),
		Devices:               devices,
		Started:               int(s.started.Load()),
		Registered:            int(s.registered.Load()),
		Online:                int(s.online.Load()),
		Asleep:                int(s.asleep.Load()),
		Ever:                  int(s.ever.Load()),
		LastFirstRegistration: time.Duration(s.lastFirstReg.Load()),
		Counters:              s.counters.load(),
		Latency:               make(map[string]HistSnapshot, len(s.hist)),
	}
	for k, h := range s.hist {
		snap.Latency[k] = h.Snapshot()
	}
	return snap
}

// ErrorSample is one distinct error message and how often it happened.
type ErrorSample struct {
	Error string `json:"error"`
	Count uint64 `json:"count"`
}

// errorSamples keeps the first maxErrorSamples distinct messages; others
// are counted under "other errors".
type errorSamples struct {
	mu    sync.Mutex
	order []string
	count map[string]uint64
	other uint64
}

const maxErrorSamples = 10

// add counts err; the device's endpoint name in the message is replaced
// by {endpoint} so that one problem shared by many devices is one sample.
func (e *errorSamples) add(endpoint string, err error) {
	msg := err.Error()
	if endpoint != "" {
		msg = strings.ReplaceAll(msg, endpoint, "{endpoint}")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.count == nil {
		e.count = map[string]uint64{}
	}
	if _, ok := e.count[msg]; !ok && len(e.order) >= maxErrorSamples {
		e.other++
		return
	}
	if _, ok := e.count[msg]; !ok {
		e.order = append(e.order, msg)
	}
	e.count[msg]++
}

func (e *errorSamples) list() []ErrorSample {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ErrorSample, 0, len(e.order)+1)
	for _, m := range e.order {
		out = append(out, ErrorSample{Error: m, Count: e.count[m]})
	}
	if e.other > 0 {
		out = append(out, ErrorSample{Error: "other errors", Count: e.other})
	}
	return out
}
