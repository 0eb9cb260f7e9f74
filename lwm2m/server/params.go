package server

import (
	"crypto/rand"
	"encoding/base32"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// regParams are the Uri-Query parameters of Register and Update.
type regParams struct {
	ep      string
	lt      time.Duration
	version string
	binding string
	sms     string
	queue   bool // Q present
	hasLt   bool
	hasVer  bool
	hasB    bool
	hasSMS  bool
}

// maxLifetime keeps lt within what a time.Duration holds comfortably (68
// years, the range of the uint32 seconds some clients send).
const maxLifetime = 1<<32 - 1

// parseRegParams reads the query of a Register (register true) or Update.
// Errors are *lwm2m.Status values: 4.00 for malformed parameters, 4.12 for
// an unsupported LwM2M version.
func parseRegParams(query []string, register bool) (regParams, error) {
	var p regParams
	for _, q := range query {
		name, value, hasValue := strings.Cut(q, "=")
		switch name {
		case "ep":
			if !register {
				return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter ep is not allowed in an Update")
			}
			if !hasValue || value == "" {
				return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter ep is empty")
			}
			if len(value) > 255 || strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter ep: %q is not a usable endpoint name", value)
			}
			p.ep = value
		case "lt":
			n, err := strconv.ParseUint(value, 10, 64)
			if !hasValue || err != nil || n == 0 || n > maxLifetime {
				return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter lt: %q is not a lifetime in seconds (1..%d)", value, uint64(maxLifetime))
			}
			p.lt, p.hasLt = time.Duration(n)*time.Second, true
		case "lwm2m":
			if !register {
				// Not an Update parameter, but some clients repeat it
				// (lwm2m-node-lib sends lwm2m=1.0 in every Update, and
				// Leshan accepts that): the caller checks it names the
				// registration's version.
				if !validVersion(value) {
					return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter lwm2m: %q is not a version", value)
				}
				p.version, p.hasVer = value, true
				continue
			}
			switch value {
			case "1.0", "1.1", "1.2":
				p.version, p.hasVer = value, true
			default:
				if !validVersion(value) {
					return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter lwm2m: %q is not a version", value)
				}
				return p, lwm2m.Errorf(lwm2m.CodePreconditionFailed, "LwM2M version %s is not supported (1.0, 1.1 and 1.2 are)", value)
			}
		case "b":
			if !validBinding(value) {
				return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter b: %q is not a binding (letters U, S, T, N, Q)", value)
			}
			p.binding, p.hasB = value, true
		case "sms":
			p.sms, p.hasSMS = value, true
		case "Q":
			if hasValue {
				return p, lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter Q takes no value")
			}
			p.queue = true
		default:
			// Unknown parameters (e.g. "apn", "Ap" of 1.2 or vendor ones) are
			// ignored, as the specification asks.
		}
	}
	if register && !p.hasVer {
		p.version = "1.0"
	}
	return p, nil
}

func validVersion(s string) bool {
	major, minor, ok := strings.Cut(s, ".")
	if !ok || major == "" || minor == "" {
		return false
	}
	for _, c := range major + minor {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validBinding(b string) bool {
	if b == "" || len(b) > 5 {
		return false
	}
	seen := 0
	for _, c := range b {
		i := strings.IndexRune("USTNQ", c)
		if i < 0 || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
	}
	return true
}

// queueMode decides queue mode: b contains Q in 1.0 (b=UQ), the Q
// parameter in 1.1 and later (a 1.1 binding with Q is accepted too).
func queueMode(binding string, q bool) bool {
	return q || strings.ContainsRune(binding, 'Q')
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRegistrationID returns an unguessable registration id (80 random
// bits): over plain UDP it is all an Update proves.
func newRegistrationID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}
