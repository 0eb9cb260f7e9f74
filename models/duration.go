package models

import (
	"fmt"
	"math"
	"time"
)

// Duration is a time.Duration that reads and writes its JSON form as Go
// duration text ("30s", "1h30m") so stored configuration stays readable.
// A JSON number is accepted as seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalJSON accepts "90s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		if len(b) < 2 || b[len(b)-1] != '"' {
			return fmt.Errorf("duration %s: unterminated string", b)
		}
		return d.UnmarshalText(b[1 : len(b)-1])
	}
	if string(b) == "null" {
		return nil
	}
	var secs float64
	if _, err := fmt.Sscan(string(b), &secs); err != nil {
		return fmt.Errorf("duration %s: not a string or a number of seconds", b)
	}
	ns := secs * float64(time.Second)
	if math.IsNaN(ns) || ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return fmt.Errorf("duration %s: out of range", b)
	}
	*d = Duration(ns)
	return nil
}
