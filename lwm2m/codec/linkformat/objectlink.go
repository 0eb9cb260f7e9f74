package linkformat

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// ObjectLink is one LwM2M link: an object, object instance, resource or
// resource instance, with what registration and Discover say about it.
type ObjectLink struct {
	Path           lwm2m.Path
	Version        string                // "ver": object version, e.g. "1.1"; "" when not given
	ContentFormats []lwm2m.ContentFormat // "ct", when given
	Attributes     lwm2m.Attributes      // notification attributes (Discover)
	Dim            int                   // "dim": number of resource instances (Discover)
	HasDim         bool
}

// objectLink reads the LwM2M parameters of l, which names p. Unknown
// parameters (rt, obs, ssid, uri, …) are ignored.
func objectLink(p lwm2m.Path, l *lwm2m.Link) (ObjectLink, error) {
	ol := ObjectLink{Path: p}
	for _, prm := range l.Params {
		if !prm.HasValue {
			if isAttr(prm.Name) || prm.Name == "ver" || prm.Name == "ct" || prm.Name == "dim" {
				return ObjectLink{}, fmt.Errorf("parameter %s has no value", prm.Name)
			}
			continue
		}
		switch prm.Name {
		case "ver":
			if !validVersion(prm.Value) {
				return ObjectLink{}, fmt.Errorf("ver %q is not a major.minor version", prm.Value)
			}
			ol.Version = prm.Value
		case "ct":
			cts, err := parseContentFormats(prm.Value)
			if err != nil {
				return ObjectLink{}, err
			}
			ol.ContentFormats = cts
		case "dim":
			d, err := strconv.ParseUint(prm.Value, 10, 16)
			if err != nil {
				return ObjectLink{}, fmt.Errorf("dim %q is not a number of instances (0..65535)", prm.Value)
			}
			ol.Dim, ol.HasDim = int(d), true
		default:
			if isAttr(prm.Name) {
				if err := ol.Attributes.Set(prm.Name, prm.Value, true); err != nil {
					return ObjectLink{}, err
				}
			}
		}
	}
	return ol, nil
}

// link turns ol into a generic link whose target is prefix + the path.
func (ol *ObjectLink) link(prefix string) lwm2m.Link {
	l := lwm2m.Link{Target: joinRoot(prefix, ol.Path)}
	if ol.Version != "" {
		l.Params = append(l.Params, lwm2m.LinkParam{Name: "ver", Value: ol.Version, HasValue: true})
	}
	if len(ol.ContentFormats) > 0 {
		l.Params = append(l.Params, lwm2m.LinkParam{Name: "ct", Value: formatContentFormats(ol.ContentFormats), HasValue: true})
	}
	if ol.HasDim {
		l.Params = append(l.Params, lwm2m.LinkParam{Name: "dim", Value: strconv.Itoa(ol.Dim), HasValue: true})
	}
	for _, q := range ol.Attributes.Query() {
		name, value, has := strings.Cut(q, "=")
		l.Params = append(l.Params, lwm2m.LinkParam{Name: name, Value: value, HasValue: has})
	}
	return l
}

// joinRoot prefixes p with an alternate root path ("" or "/" for none).
func joinRoot(root string, p lwm2m.Path) string {
	if root == "" || root == "/" {
		return p.String()
	}
	if p.IsRoot() {
		return root
	}
	return root + p.String()
}

func isAttr(name string) bool {
	switch name {
	case "pmin", "pmax", "gt", "lt", "st", "epmin", "epmax", "edge", "con", "hqmax":
		return true
	}
	return false
}

// validVersion accepts "major.minor" with decimal digits.
func validVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	return ok && allDigits(major) && allDigits(minor)
}

func allDigits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseContentFormats reads ct: one number, or (LwM2M 1.2) a
// space-separated list inside quotes.
func parseContentFormats(v string) ([]lwm2m.ContentFormat, error) {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return nil, fmt.Errorf("ct is empty")
	}
	out := make([]lwm2m.ContentFormat, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("ct %q: %q is not a content format number (0..65535)", v, f)
		}
		out = append(out, lwm2m.ContentFormat(n))
	}
	return out, nil
}

func formatContentFormats(cts []lwm2m.ContentFormat) string {
	var b []byte
	for i, c := range cts {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(c), 10)
	}
	return string(b)
}
