package objects

import (
	"fmt"
	"strings"
)

// version is an object or enabler version "major.minor" as a comparable pair.
type version struct{ major, minor uint16 }

// defaultVersion is what a DDF without ObjectVersion or LWM2MVersion means.
const defaultVersion = "1.0"

// maxVersionDigits bounds each part of a version, so both fit in uint16.
const maxVersionDigits = 4

// scanVersion reads "major.minor" (decimal, at most four digits each)
// without allocating; ok is false for anything else.
func scanVersion(s string) (v version, ok bool) {
	major, minor, found := strings.Cut(s, ".")
	if !found {
		return v, false
	}
	var okMajor, okMinor bool
	v.major, okMajor = versionPart(major)
	v.minor, okMinor = versionPart(minor)
	return v, okMajor && okMinor
}

func versionPart(s string) (uint16, bool) {
	if s == "" || len(s) > maxVersionDigits {
		return 0, false
	}
	var n uint16
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint16(c-'0')
	}
	return n, true
}

// parseVersion is scanVersion with an error saying what is wrong.
func parseVersion(s string) (version, error) {
	if v, ok := scanVersion(s); ok {
		return v, nil
	}
	major, minor, found := strings.Cut(s, ".")
	if !found {
		return version{}, fmt.Errorf("version %q is not of the form major.minor", s)
	}
	for _, part := range []struct{ name, s string }{{"major", major}, {"minor", minor}} {
		switch {
		case part.s == "":
			return version{}, fmt.Errorf("version %q: %s part is empty", s, part.name)
		case len(part.s) > maxVersionDigits:
			return version{}, fmt.Errorf("version %q: %s part has more than %d digits", s, part.name, maxVersionDigits)
		}
		if _, ok := versionPart(part.s); !ok {
			return version{}, fmt.Errorf("version %q: %s part %q is not a decimal number", s, part.name, part.s)
		}
	}
	return version{}, fmt.Errorf("version %q is not of the form major.minor", s)
}

// compare returns -1, 0 or +1 as v is below, equal to or above w.
func (v version) compare(w version) int {
	switch {
	case v.major != w.major:
		if v.major < w.major {
			return -1
		}
		return 1
	case v.minor < w.minor:
		return -1
	case v.minor > w.minor:
		return 1
	}
	return 0
}
