package bootstrap

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Object ids of the bootstrap interface.
const (
	objSecurity      = 0
	objServer        = 1
	objAccessControl = 2
)

// maxAccounts bounds the accounts one plan may write.
const maxAccounts = 32

// validatePlan checks that a plan can be written.
func validatePlan(p *Plan) error {
	if len(p.Accounts) == 0 {
		return fmt.Errorf("%w: no management server account", ErrPlan)
	}
	if len(p.Accounts) > maxAccounts {
		return fmt.Errorf("%w: %d accounts, at most %d", ErrPlan, len(p.Accounts), maxAccounts)
	}
	seen := map[uint16]int{}
	for i := range p.Accounts {
		a := &p.Accounts[i]
		where := fmt.Sprintf("account %d (ssid %d)", i, a.ShortServerID)
		if a.ShortServerID == 0 || a.ShortServerID == 65535 {
			return fmt.Errorf("%w: %s: short server id must be 1 to 65534", ErrPlan, where)
		}
		if j, dup := seen[a.ShortServerID]; dup {
			return fmt.Errorf("%w: %s: short server id already used by account %d", ErrPlan, where, j)
		}
		seen[a.ShortServerID] = i
		u, err := url.Parse(a.URI)
		if err != nil || (u.Scheme != "coap" && u.Scheme != "coaps") || u.Host == "" {
			return fmt.Errorf("%w: %s: server URI %q is not coap:// or coaps://host[:port]", ErrPlan, where, a.URI)
		}
		switch a.Mode {
		case ModePSK, ModeCertificate:
			if len(a.Identity) == 0 || len(a.SecretKey) == 0 {
				return fmt.Errorf("%w: %s: %s mode needs an identity and a secret key", ErrPlan, where, a.Mode)
			}
			if u.Scheme != "coaps" {
				return fmt.Errorf("%w: %s: %s mode needs a coaps URI", ErrPlan, where, a.Mode)
			}
		case ModeNoSec:
			if u.Scheme != "coap" {
				return fmt.Errorf("%w: %s: nosec mode needs a coap URI", ErrPlan, where)
			}
		default:
			return fmt.Errorf("%w: %s: security mode %s is not supported", ErrPlan, where, a.Mode)
		}
		if a.Lifetime < time.Second {
			return fmt.Errorf("%w: %s: lifetime %v is under a second", ErrPlan, where, a.Lifetime)
		}
		if a.DefaultMaxPeriod != 0 && a.DefaultMinPeriod > a.DefaultMaxPeriod {
			return fmt.Errorf("%w: %s: default pmin %v exceeds pmax %v", ErrPlan, where, a.DefaultMinPeriod, a.DefaultMaxPeriod)
		}
		if a.Binding == "" {
			a.Binding = "U"
		}
	}
	for i, ac := range p.AccessControl {
		if ac.ObjectID == objAccessControl || ac.ObjectID == objSecurity {
			return fmt.Errorf("%w: access control %d: object %d takes no access control instance", ErrPlan, i, ac.ObjectID)
		}
		if _, ok := seen[ac.Owner]; !ok && ac.Owner != 65535 {
			return fmt.Errorf("%w: access control %d: owner %d is none of the planned short server ids", ErrPlan, i, ac.Owner)
		}
		for ssid := range ac.ACL {
			if _, ok := seen[ssid]; !ok && ssid != 0 {
				return fmt.Errorf("%w: access control %d: ACL names short server id %d, which is not planned", ErrPlan, i, ssid)
			}
		}
	}
	return nil
}

// securityIDs returns n Security instance ids that avoid the bootstrap
// account's: the lowest free ones when Discover listed the account, from
// 1 up when it did not (0 is where most devices keep it).
func securityIDs(st DeviceState, n int) []uint16 {
	out := make([]uint16, 0, n)
	id := uint16(0)
	if !st.Discovered {
		id = 1
	}
	for len(out) < n {
		if !slices.Contains(st.BootstrapInstances, id) {
			out = append(out, id)
		}
		id++
	}
	return out
}

func secs(d time.Duration) lwm2m.Value { return lwm2m.IntValue(int64(d / time.Second)) }

// securityInstance is the Security (/0) instance of an account.
func securityInstance(id uint16, a *ServerAccount) lwm2m.Node {
	return lwm2m.NewInstance(id,
		lwm2m.NewResource(0, lwm2m.StringValue(a.URI)),
		lwm2m.NewResource(1, lwm2m.BoolValue(false)),
		lwm2m.NewResource(2, lwm2m.IntValue(int64(a.Mode))),
		lwm2m.NewResource(3, lwm2m.OpaqueValue(a.Identity)),
		lwm2m.NewResource(4, lwm2m.OpaqueValue(a.ServerPublicKey)),
		lwm2m.NewResource(5, lwm2m.OpaqueValue(a.SecretKey)),
		lwm2m.NewResource(10, lwm2m.IntValue(int64(a.ShortServerID))),
	)
}

// serverInstance is the Server (/1) instance of an account.
func serverInstance(id uint16, a *ServerAccount) lwm2m.Node {
	rs := []lwm2m.Node{
		lwm2m.NewResource(0, lwm2m.IntValue(int64(a.ShortServerID))),
		lwm2m.NewResource(1, secs(a.Lifetime)),
	}
	if a.DefaultMinPeriod > 0 {
		rs = append(rs, lwm2m.NewResource(2, secs(a.DefaultMinPeriod)))
	}
	if a.DefaultMaxPeriod > 0 {
		rs = append(rs, lwm2m.NewResource(3, secs(a.DefaultMaxPeriod)))
	}
	rs = append(rs, lwm2m.NewResource(6, lwm2m.BoolValue(a.NotificationStoring)),
		lwm2m.NewResource(7, lwm2m.StringValue(a.Binding)))
	return lwm2m.NewInstance(id, rs...)
}

// aclInstance is an Access Control (/2) instance.
func aclInstance(id uint16, ac *AccessControl) lwm2m.Node {
	ssids := make([]int, 0, len(ac.ACL))
	for s := range ac.ACL {
		ssids = append(ssids, int(s))
	}
	sort.Ints(ssids)
	entries := make([]lwm2m.Node, 0, len(ssids))
	for _, s := range ssids {
		entries = append(entries, lwm2m.NewResourceInstance(uint16(s), lwm2m.IntValue(int64(ac.ACL[uint16(s)]))))
	}
	rs := []lwm2m.Node{
		lwm2m.NewResource(0, lwm2m.IntValue(int64(ac.ObjectID))),
		lwm2m.NewResource(1, lwm2m.IntValue(int64(ac.InstanceID))),
	}
	if len(entries) > 0 {
		rs = append(rs, lwm2m.NewMultipleResource(2, entries...))
	}
	rs = append(rs, lwm2m.NewResource(3, lwm2m.IntValue(int64(ac.Owner))))
	return lwm2m.NewInstance(id, rs...)
}

// instanceFormats can carry a whole object instance.
var instanceFormats = []lwm2m.ContentFormat{lwm2m.FormatTLV, lwm2m.FormatSenMLCBOR, lwm2m.FormatSenMLJSON,
	lwm2m.FormatLwM2MCBOR, lwm2m.FormatLwM2MJSON}

// chooseFormat picks the payload format of the writes: the plan's, else
// the device's preferred one, else TLV (which every 1.0 device reads).
func chooseFormat(plan lwm2m.ContentFormat, pct lwm2m.ContentFormat, reg *codec.Registry) lwm2m.ContentFormat {
	for _, f := range []lwm2m.ContentFormat{plan.Canonical(), pct.Canonical()} {
		if slices.Contains(instanceFormats, f) && reg.Has(f) {
			return f
		}
	}
	return lwm2m.FormatTLV
}
