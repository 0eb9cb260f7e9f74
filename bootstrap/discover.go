package bootstrap

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// maxDiscoverLinks bounds how many links of a Discover answer are looked
// at (the body itself is capped by the transport).
const maxDiscoverLinks = 4096

// analyseDiscover reads a Bootstrap-Discover answer: the enabler version
// from </>;lwm2m=…, the Security instances that are the bootstrap account
// (no ssid) and the management-server accounts (with ssid).
func analyseDiscover(payload []byte) (DeviceState, error) {
	st := DeviceState{Version: "1.0", Discovered: true}
	links, err := linkformat.Parse(payload)
	if err != nil {
		return DeviceState{}, fmt.Errorf("bootstrap-discover answer: %w", err)
	}
	if len(links) > maxDiscoverLinks {
		return DeviceState{}, fmt.Errorf("bootstrap-discover answer has %d links, at most %d are accepted", len(links), maxDiscoverLinks)
	}
	st.Links = links
	for i := range links {
		l := &links[i]
		p, err := lwm2m.ParsePath(l.Target)
		if err != nil {
			return DeviceState{}, fmt.Errorf("bootstrap-discover answer: link %d <%s>: %v", i, l.Target, err)
		}
		if p.IsRoot() {
			if v, ok := l.Param("lwm2m"); ok {
				if !validVersion(v) {
					return DeviceState{}, fmt.Errorf("bootstrap-discover answer: link %d: lwm2m=%q is not a version", i, v)
				}
				st.Version = v
			}
			continue
		}
		if p.Object() != 0 || !p.IsInstance() {
			continue
		}
		ssid, has := l.Param("ssid")
		if !has {
			st.BootstrapInstances = append(st.BootstrapInstances, p.Instance())
			continue
		}
		n, err := strconv.ParseUint(ssid, 10, 16)
		if err != nil {
			return DeviceState{}, fmt.Errorf("bootstrap-discover answer: link %d <%s>: ssid %q is not a short server id", i, l.Target, ssid)
		}
		uri, _ := l.Param("uri")
		st.ServerAccounts = append(st.ServerAccounts, DiscoveredAccount{Instance: p.Instance(), ShortServerID: uint16(n), URI: uri})
	}
	slices.Sort(st.BootstrapInstances)
	return st, nil
}

// validVersion accepts "1.0", "1.1", "1.2" and later "major.minor".
func validVersion(v string) bool {
	maj, min, ok := cutDot(v)
	return ok && allDigits(maj) && allDigits(min)
}

func cutDot(v string) (string, string, bool) {
	for i := 0; i < len(v); i++ {
		if v[i] == '.' {
			return v[:i], v[i+1:], true
		}
	}
	return "", "", false
}

func allDigits(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atLeast11 reports whether version v is 1.1 or later.
func atLeast11(v string) bool {
	maj, min, ok := cutDot(v)
	if !ok {
		return false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	return err1 == nil && err2 == nil && (a > 1 || a == 1 && b >= 1)
}
