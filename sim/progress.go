package sim

import (
	"fmt"
	"strings"
	"time"
)

// Progress formats one line of live progress from two snapshots: gauges
// from cur, rates and latency percentiles over the window since prev
// (a zero prev means since the start).
func Progress(prev, cur Snapshot) string {
	dt := cur.Elapsed - prev.Elapsed
	rate := func(a, b uint64) string {
		if dt <= 0 {
			return "0"
		}
		return fmt.Sprintf("%.0f", float64(a-b)/dt.Seconds())
	}
	window := func(kind string) string {
		c, p := cur.Latency[kind], prev.Latency[kind]
		var w HistSnapshot
		if p.Count() > 0 {
			w = c.Sub(&p)
		} else {
			w = c
		}
		if w.Count() == 0 {
			return "-"
		}
		return fmtDur(w.Quantile(0.5)) + "/" + fmtDur(w.Quantile(0.99))
	}
	var b strings.Builder
	switch cur.Phase {
	case PhaseNew, PhaseProvisioning:
		return cur.Phase + " …"
	case PhaseStopping:
		b.WriteString("stopping ")
	}
	fmt.Fprintf(&b, "%6.1fs started %d/%d registered %d online %d asleep %d",
		cur.Elapsed.Seconds(), cur.Started, cur.Devices, cur.Registered, cur.Online, cur.Asleep)
	fmt.Fprintf(&b, " | reg/s %s upd/s %s notif/s %s send/s %s errors %d",
		rate(cur.Registrations, prev.Registrations), rate(cur.Updates, prev.Updates),
		rate(cur.Notifications, prev.Notifications), rate(cur.Sends, prev.Sends), cur.Errors)
	fmt.Fprintf(&b, " | p50/p99 reg %s req %s", window("register"), window("request"))
	return b.String()
}

// fmtDur prints a latency compactly: 850µs, 12.3ms, 1.20s.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
