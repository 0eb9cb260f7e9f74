package sim

import "math"

// Summary is the outcome of a fleet run, written as JSON by shoal-sim.
type Summary struct {
	Server  string `json:"server"`
	Devices int    `json:"devices"`
	Started int    `json:"started"`
	// DurationS is the run's length up to the stop, in seconds.
	DurationS float64 `json:"duration_s"`
	// AtStop is the state when the stop began (before deregistration).
	AtStop StateCounts `json:"at_stop"`
	// EverRegistered counts devices that registered at least once;
	// AllRegisteredAfterS is when the last of them first did (seconds
	// after the start), RegistrationsPerS their rate over that time.
	EverRegistered      int      `json:"ever_registered"`
	AllRegisteredAfterS *float64 `json:"all_registered_after_s,omitempty"`
	RegistrationsPerS   float64  `json:"registrations_per_s"`
	// Counts are event totals over the whole run, the deregistrations at
	// the stop included; Rates are per second up to the stop.
	Counts Counters `json:"counts"`
	Rates  Rates    `json:"rates"`
	// Latency is per kind: register, update, notify, send, deregister,
	// bootstrap and request (every uplink request but Register and
	// Bootstrap). Kinds without observations are left out.
	Latency map[string]LatencySummary `json:"latency_ms"`
	Errors  []ErrorSample             `json:"error_samples,omitempty"`
	// Process is measured at the stop, with every device still running.
	Process   ProcessStats `json:"process"`
	PerDevice PerDevice    `json:"per_device"`
}

// StateCounts are the gauges of a Snapshot.
type StateCounts struct {
	Registered int `json:"registered"`
	Online     int `json:"online"`
	Asleep     int `json:"asleep"`
}

// Rates are events per second.
type Rates struct {
	Notifications float64 `json:"notifications_per_s"`
	Sends         float64 `json:"sends_per_s"`
	Updates       float64 `json:"updates_per_s"`
	Changes       float64 `json:"changes_per_s"`
}

// PerDevice divides the process figures by the started devices.
type PerDevice struct {
	RSSBytes   int64   `json:"rss_bytes"`
	HeapBytes  int64   `json:"heap_inuse_bytes"`
	Goroutines float64 `json:"goroutines"`
	// CPUms is CPU time (user and system) per device over the run.
	CPUms float64 `json:"cpu_ms"`
}

// Summary returns the run's summary; ok is false until Run has returned.
func (f *Fleet) Summary() (s Summary, ok bool) {
	f.mu.Lock()
	done, stop, proc, st := f.done, f.atStop, f.procAt, f.st
	f.mu.Unlock()
	if !done || stop == nil {
		return Summary{}, false
	}
	final := st.snapshot(len(f.devs))
	secs := stop.Elapsed.Seconds()
	s = Summary{
		Server:         f.cfg.ServerURI,
		Devices:        len(f.devs),
		Started:        stop.Started,
		DurationS:      round3(secs),
		AtStop:         StateCounts{Registered: stop.Registered, Online: stop.Online, Asleep: stop.Asleep},
		EverRegistered: stop.Ever,
		Counts:         final.Counters,
		Latency:        map[string]LatencySummary{},
		Errors:         st.errs.list(),
		Process:        proc,
	}
	if stop.Ever > 0 && stop.LastFirstRegistration > 0 {
		s.RegistrationsPerS = round3(float64(stop.Ever) / stop.LastFirstRegistration.Seconds())
	}
	if stop.Ever == len(f.devs) {
		after := round3(stop.LastFirstRegistration.Seconds())
		s.AllRegisteredAfterS = &after
	}
	if secs > 0 {
		s.Rates = Rates{
			Notifications: round3(float64(stop.Notifications) / secs),
			Sends:         round3(float64(stop.Sends) / secs),
			Updates:       round3(float64(stop.Updates) / secs),
			Changes:       round3(float64(stop.Changes) / secs),
		}
	}
	for k, h := range final.Latency {
		if h.Count() > 0 {
			s.Latency[k] = h.Summary()
		}
	}
	if n := int64(stop.Started); n > 0 {
		s.PerDevice = PerDevice{
			RSSBytes:   proc.RSS / n,
			HeapBytes:  int64(proc.HeapInUse) / n,
			Goroutines: round3(float64(proc.Goroutines) / float64(n)),
			CPUms:      round3((proc.CPUUser + proc.CPUSystem) * 1000 / float64(n)),
		}
	}
	return s, true
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
