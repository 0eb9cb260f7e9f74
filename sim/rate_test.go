package sim

import (
	"errors"
	"testing"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{
		"2000/s": 2000, "2000": 2000, "30/min": 0.5, "3600/h": 1, "5/100ms": 50, " 10 / s ": 10, "0": 0, "1.5/s": 1.5,
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "-1/s", "10/parsec", "10/0s", "NaN", "1e12/s"} {
		if _, err := ParseRate(in); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseRate(%q) error %v, want ErrConfig", in, err)
		}
	}
}

func TestParseFraction(t *testing.T) {
	for in, want := range map[string]float64{"30%": 0.3, "0.3": 0.3, "100%": 1, "0": 0, " 5 %": 0.05} {
		got, err := ParseFraction(in)
		if err != nil || got < want-1e-12 || got > want+1e-12 {
			t.Errorf("ParseFraction(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "101%", "-1%", "1.5", "NaN"} {
		if _, err := ParseFraction(in); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseFraction(%q) error %v, want ErrConfig", in, err)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"2000/s", "30/min", "5/100ms", "1/h", "x/y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err == nil && (r < 0 || r != r) {
			t.Fatalf("ParseRate(%q) = %v", s, r)
		}
	})
}

func FuzzParseFraction(f *testing.F) {
	for _, s := range []string{"30%", "0.3", "100%", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFraction(s)
		if err == nil && (v < 0 || v > 1) {
			t.Fatalf("ParseFraction(%q) = %v", s, v)
		}
	})
}
