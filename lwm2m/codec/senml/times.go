package senml

import (
	"errors"
	"fmt"
	"math"
	"time"
)

const (
	// relativeLimit: resolved SenML times below 2^28 seconds are relative
	// to the current time, the others are Unix times (RFC 8428 §4.5.3).
	relativeLimit = 1 << 28
	// maxAbsolute bounds absolute times (2^40 s is past the year 36000).
	maxAbsolute = 1 << 40
	// maxPast bounds how far back a relative time may reach (136 years).
	maxPast = 1 << 32
)

var errTimeRange = errors.New("out of range")

// resolveTime turns a resolved SenML time into an instant. Absent and zero
// mean "now, unspecified" and give the zero time (an untimestamped LwM2M
// record). Fractions are kept to the microsecond.
func resolveTime(t Number, now func() time.Time) (time.Time, error) {
	switch t.Kind() {
	case NumberAbsent:
		return time.Time{}, nil
	case NumberInt:
		s, _ := t.Int64()
		switch {
		case s == 0:
			return time.Time{}, nil
		case s >= relativeLimit && s <= maxAbsolute:
			return time.Unix(s, 0).UTC(), nil
		case s < relativeLimit && s >= -maxPast:
			return now().Add(time.Duration(s) * time.Second).UTC(), nil
		}
		return time.Time{}, fmt.Errorf("time %d is %w", s, errTimeRange)
	case NumberFloat:
		f := t.Float64()
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return time.Time{}, fmt.Errorf("time %v is not a finite number", f)
		case f == 0:
			return time.Time{}, nil
		case f >= relativeLimit && f <= maxAbsolute:
			sec := math.Floor(f)
			us := math.Round((f - sec) * 1e6)
			return time.Unix(int64(sec), int64(us)*1000).UTC(), nil
		case f < relativeLimit && f >= -maxPast:
			return now().Add(time.Duration(math.Round(f*1e6)) * time.Microsecond).UTC(), nil
		}
		return time.Time{}, fmt.Errorf("time %v is %w", f, errTimeRange)
	}
	return time.Time{}, fmt.Errorf("time %v is %w", t, errTimeRange)
}

// timeNumber writes an instant as absolute SenML seconds: an integer when
// it has no fraction. Instants before 2^28 (1978-07-04) would read back as
// relative times and cannot be carried.
func timeNumber(t time.Time) (Number, error) {
	s := t.Unix()
	if s < relativeLimit || s > maxAbsolute {
		return Number{}, fmt.Errorf("time %s cannot be written as an absolute SenML time (2^28 to 2^40 seconds)",
			t.UTC().Format(time.RFC3339))
	}
	if ns := t.Nanosecond(); ns != 0 {
		return FloatNumber(float64(s) + float64(ns)/1e9), nil
	}
	return IntNumber(s), nil
}
