package bootstrap

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
)

// maxEndpoint bounds an endpoint name (bytes).
const maxEndpoint = 255

// parseQuery reads the Uri-Query options of a Bootstrap-Request: ep
// (required) and pct (optional, a content-format number). Other
// parameters are ignored, as the specification asks; repeated ep or pct
// is an error.
func parseQuery(q []string) (ep string, pct lwm2m.ContentFormat, err error) {
	pct = lwm2m.FormatNone
	seenEP, seenPCT := false, false
	for i, opt := range q {
		name, val, hasVal := strings.Cut(opt, "=")
		switch name {
		case "ep":
			if seenEP {
				return "", 0, fmt.Errorf("%w: query option %d: ep given twice", ErrQuery, i)
			}
			seenEP = true
			if err := checkEndpoint(val); err != nil {
				return "", 0, fmt.Errorf("%w: query option %d: %v", ErrQuery, i, err)
			}
			ep = val
		case "pct":
			if seenPCT {
				return "", 0, fmt.Errorf("%w: query option %d: pct given twice", ErrQuery, i)
			}
			seenPCT = true
			n, err := strconv.ParseUint(val, 10, 16)
			if !hasVal || err != nil {
				return "", 0, fmt.Errorf("%w: query option %d: pct %q is not a content-format number (0-65535)", ErrQuery, i, val)
			}
			pct = lwm2m.ContentFormat(n).Canonical()
		}
	}
	if !seenEP {
		return "", 0, fmt.Errorf("%w: the ep parameter (endpoint name) is missing", ErrQuery)
	}
	return ep, pct, nil
}

func checkEndpoint(ep string) error {
	switch {
	case ep == "":
		return fmt.Errorf("endpoint name is empty")
	case len(ep) > maxEndpoint:
		return fmt.Errorf("endpoint name is %d bytes, at most %d", len(ep), maxEndpoint)
	case !utf8.ValidString(ep):
		return fmt.Errorf("endpoint name is not UTF-8 (byte %d)", firstInvalid(ep))
	}
	for i, r := range ep {
		if unicode.IsControl(r) {
			return fmt.Errorf("endpoint name has a control character at byte %d", i)
		}
	}
	return nil
}

func firstInvalid(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
