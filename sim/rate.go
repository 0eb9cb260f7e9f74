package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRate parses an events-per-time rate: "2000/s", "30/min", "1/h",
// "5/100ms" or a bare number (per second). It returns events per second.
func ParseRate(s string) (float64, error) {
	num, unit, found := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n < 0 || n != n || n > 1e9 {
		return 0, fmt.Errorf("%w: rate %q: want a non-negative count such as 2000/s", ErrConfig, s)
	}
	if !found {
		return n, nil
	}
	unit = strings.TrimSpace(unit)
	var per time.Duration
	switch unit {
	case "s", "sec":
		per = time.Second
	case "m", "min":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		per, err = time.ParseDuration(unit)
		if err != nil || per <= 0 {
			return 0, fmt.Errorf("%w: rate %q: unit %q is not s, min, h or a duration", ErrConfig, s, unit)
		}
	}
	return n / per.Seconds(), nil
}

// ParseFraction parses "30%", "0.3" or "0" into a fraction in [0, 1].
func ParseFraction(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if v, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = strings.TrimSpace(v), 100
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != f {
		return 0, fmt.Errorf("%w: fraction %q: want a percentage such as 30%% or a number in [0,1]", ErrConfig, s)
	}
	f /= scale
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%w: fraction %q is outside 0..100%%", ErrConfig, s)
	}
	return f, nil
}
