package linkformat

import (
	"errors"
	"reflect"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m/codec"
)

func seeds(f *testing.F) {
	var pc []parseCase
	readJSON(f, "parse.json", &pc)
	for _, c := range pc {
		f.Add([]byte(c.Input))
	}
	var rc []registrationCase
	readJSON(f, "registration.json", &rc)
	for _, c := range rc {
		f.Add([]byte(c.Input))
	}
	var dc []discoverCase
	readJSON(f, "discover.json", &dc)
	for _, c := range dc {
		f.Add([]byte(c.Input))
	}
	f.Add([]byte(`</a>;t="ab\`))
}

// checkErr fails unless err is a malformed-payload error whose offset lies
// within the input.
func checkErr(t *testing.T, err error, n int) {
	var de *codec.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, codec.ErrMalformed) {
		t.Fatalf("unclassified error: %v", err)
	}
	if de.Offset < 0 || de.Offset > n {
		t.Fatalf("offset %d outside a %d-byte input: %v", de.Offset, n, err)
	}
}

// FuzzParse: Parse never panics, and whatever it accepts formats to a
// canonical form that parses back to the same links.
func FuzzParse(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		links, err := Parse(data)
		if err != nil {
			checkErr(t, err, len(data))
			return
		}
		out := Format(links)
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical %q does not parse: %v", out, err)
		}
		if !reflect.DeepEqual(again, links) {
			t.Fatalf("round trip changed links:\n%+v\n%+v", links, again)
		}
	})
}

// FuzzParseRegistration: ParseRegistration never panics, and an accepted
// registration formats to a payload that parses to the same registration
// (apart from parameters the registration does not keep).
func FuzzParseRegistration(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := ParseRegistration(data)
		if err != nil {
			checkErr(t, err, len(data))
			return
		}
		out := FormatRegistration(reg)
		again, err := ParseRegistration(out)
		if err != nil {
			t.Fatalf("formatted %q does not parse: %v", out, err)
		}
		if string(FormatRegistration(again)) != string(out) {
			t.Fatalf("round trip changed the registration: %q -> %q", out, FormatRegistration(again))
		}
	})
}

// FuzzParseDiscover: ParseDiscover never panics; accepted answers format
// and parse back to the same canonical text.
func FuzzParseDiscover(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		links, err := ParseDiscover(data)
		if err != nil {
			checkErr(t, err, len(data))
			return
		}
		out := FormatDiscover(links)
		again, err := ParseDiscover(out)
		if err != nil {
			t.Fatalf("formatted %q does not parse: %v", out, err)
		}
		if string(FormatDiscover(again)) != string(out) {
			t.Fatalf("round trip changed: %q -> %q", out, FormatDiscover(again))
		}
	})
}
