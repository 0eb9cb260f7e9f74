package lwm2m

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Attributes are the notification attributes of Write-Attributes and
// Discover (Core TS 1.1 §5.1.2, 1.2 adds edge, con and hqmax). A nil field
// is "not set"; names in Unset are cleared on the device (sent without a
// value).
type Attributes struct {
	Pmin  *uint32  `json:"pmin,omitempty"`
	Pmax  *uint32  `json:"pmax,omitempty"`
	Gt    *float64 `json:"gt,omitempty"`
	Lt    *float64 `json:"lt,omitempty"`
	St    *float64 `json:"st,omitempty"`
	Epmin *uint32  `json:"epmin,omitempty"`
	Epmax *uint32  `json:"epmax,omitempty"`
	Edge  *uint8   `json:"edge,omitempty"`
	Con   *uint8   `json:"con,omitempty"`
	Hqmax *uint32  `json:"hqmax,omitempty"`
	Unset []string `json:"unset,omitempty"`
}

var attrNames = []string{"pmin", "pmax", "gt", "lt", "st", "epmin", "epmax", "edge", "con", "hqmax"}

// IsZero reports whether nothing is set or unset.
func (a *Attributes) IsZero() bool {
	return a.Pmin == nil && a.Pmax == nil && a.Gt == nil && a.Lt == nil && a.St == nil &&
		a.Epmin == nil && a.Epmax == nil && a.Edge == nil && a.Con == nil && a.Hqmax == nil && len(a.Unset) == 0
}

// Set parses one attribute from its query form; an empty value with
// hasValue false clears it. Unknown names are an error.
func (a *Attributes) Set(name, value string, hasValue bool) error {
	if !hasValue {
		if !isAttrName(name) {
			return fmt.Errorf("unknown attribute %q", name)
		}
		a.Unset = append(a.Unset, name)
		return nil
	}
	switch name {
	case "pmin", "pmax", "epmin", "epmax", "hqmax":
		u, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			return fmt.Errorf("attribute %s: %q is not a non-negative integer", name, value)
		}
		v := uint32(u)
		switch name {
		case "pmin":
			a.Pmin = &v
		case "pmax":
			a.Pmax = &v
		case "epmin":
			a.Epmin = &v
		case "epmax":
			a.Epmax = &v
		default:
			a.Hqmax = &v
		}
	case "gt", "lt", "st":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("attribute %s: %q is not a number", name, value)
		}
		if name == "st" && f < 0 {
			return fmt.Errorf("attribute st: %v is negative", f)
		}
		switch name {
		case "gt":
			a.Gt = &f
		case "lt":
			a.Lt = &f
		default:
			a.St = &f
		}
	case "edge", "con":
		if value != "0" && value != "1" {
			return fmt.Errorf("attribute %s: %q must be 0 or 1", name, value)
		}
		v := uint8(value[0] - '0')
		if name == "edge" {
			a.Edge = &v
		} else {
			a.Con = &v
		}
	default:
		return fmt.Errorf("unknown attribute %q", name)
	}
	return nil
}

func isAttrName(n string) bool {
	for _, a := range attrNames {
		if a == n {
			return true
		}
	}
	return false
}

// ParseAttributes parses CoAP Uri-Query values ("pmin=10", "gt=20.5",
// "pmax" to clear) and validates the set.
func ParseAttributes(query []string) (Attributes, error) {
	var a Attributes
	for _, q := range query {
		name, value, has := strings.Cut(q, "=")
		if err := a.Set(name, value, has); err != nil {
			return Attributes{}, err
		}
	}
	return a, a.Validate()
}

// Validate applies the specification's consistency rules: lt < gt, and
// lt + 2*st < gt when all three are given; epmin <= epmax.
func (a *Attributes) Validate() error {
	if a.Lt != nil && a.Gt != nil && !(*a.Lt < *a.Gt) {
		return fmt.Errorf("attribute lt (%v) must be less than gt (%v)", *a.Lt, *a.Gt)
	}
	if a.Lt != nil && a.Gt != nil && a.St != nil && !(*a.Lt+2**a.St < *a.Gt) {
		return fmt.Errorf("attributes need lt + 2*st < gt")
	}
	if a.Epmin != nil && a.Epmax != nil && *a.Epmax < *a.Epmin {
		return fmt.Errorf("attribute epmax (%d) must not be less than epmin (%d)", *a.Epmax, *a.Epmin)
	}
	return nil
}

// Query renders the attributes as CoAP Uri-Query values in a fixed order.
func (a *Attributes) Query() []string {
	var q []string
	u := func(n string, v *uint32) {
		if v != nil {
			q = append(q, n+"="+strconv.FormatUint(uint64(*v), 10))
		}
	}
	f := func(n string, v *float64) {
		if v != nil {
			q = append(q, n+"="+strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	b := func(n string, v *uint8) {
		if v != nil {
			q = append(q, n+"="+strconv.Itoa(int(*v)))
		}
	}
	u("pmin", a.Pmin)
	u("pmax", a.Pmax)
	f("gt", a.Gt)
	f("lt", a.Lt)
	f("st", a.St)
	u("epmin", a.Epmin)
	u("epmax", a.Epmax)
	b("edge", a.Edge)
	b("con", a.Con)
	u("hqmax", a.Hqmax)
	q = append(q, a.Unset...)
	return q
}

// Merge returns a copy of a with every field set in b overriding it and
// b's Unset names cleared.
func (a Attributes) Merge(b Attributes) Attributes {
	if b.Pmin != nil {
		a.Pmin = b.Pmin
	}
	if b.Pmax != nil {
		a.Pmax = b.Pmax
	}
	if b.Gt != nil {
		a.Gt = b.Gt
	}
	if b.Lt != nil {
		a.Lt = b.Lt
	}
	if b.St != nil {
		a.St = b.St
	}
	if b.Epmin != nil {
		a.Epmin = b.Epmin
	}
	if b.Epmax != nil {
		a.Epmax = b.Epmax
	}
	if b.Edge != nil {
		a.Edge = b.Edge
	}
	if b.Con != nil {
		a.Con = b.Con
	}
	if b.Hqmax != nil {
		a.Hqmax = b.Hqmax
	}
	for _, n := range b.Unset {
		switch n {
		case "pmin":
			a.Pmin = nil
		case "pmax":
			a.Pmax = nil
		case "gt":
			a.Gt = nil
		case "lt":
			a.Lt = nil
		case "st":
			a.St = nil
		case "epmin":
			a.Epmin = nil
		case "epmax":
			a.Epmax = nil
		case "edge":
			a.Edge = nil
		case "con":
			a.Con = nil
		case "hqmax":
			a.Hqmax = nil
		}
	}
	a.Unset = nil
	return a
}
