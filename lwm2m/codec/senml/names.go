package senml

import (
	"strconv"

	"github.com/shoal-iot/shoal/lwm2m"
)

// parseName parses base name + name as an LwM2M path ("/3/0/6/1") without
// building the concatenated string. It accepts exactly what lwm2m.ParsePath
// accepts, except the root "/", which names no record.
func parseName(bn, n string) (lwm2m.Path, bool) {
	total := len(bn) + len(n)
	at := func(i int) byte {
		if i < len(bn) {
			return bn[i]
		}
		return n[i-len(bn)]
	}
	if total < 2 || at(0) != '/' {
		return lwm2m.Path{}, false
	}
	var ids [4]uint16
	count := 0
	for i := 1; ; i++ {
		if count == len(ids) {
			return lwm2m.Path{}, false
		}
		start := i
		var v uint32
		for ; i < total && at(i) != '/'; i++ {
			c := at(i)
			if c < '0' || c > '9' || i-start >= 5 {
				return lwm2m.Path{}, false
			}
			v = v*10 + uint32(c-'0')
		}
		if i == start || i-start > 1 && at(start) == '0' || v > lwm2m.MaxID {
			return lwm2m.Path{}, false
		}
		ids[count] = uint16(v)
		count++
		if i == total {
			break
		}
	}
	p, err := lwm2m.NewPath(ids[:count]...)
	return p, err == nil
}

// naming is how a pack names its records: a base name on the first record
// and a name per record (see the package documentation).
type naming struct {
	prefix   lwm2m.Path
	baseName string // "" for none
	slash    bool   // relative names start with '/' (the prefix is itself a record)
}

func newNaming(recs []lwm2m.Record) naming {
	pre := recs[0].Path
	exact := false
	for _, r := range recs[1:] {
		n := 0
		for n < pre.Len() && n < r.Path.Len() && pre.ID(n) == r.Path.ID(n) {
			n++
		}
		pre = pre.Truncate(n)
	}
	if pre.IsRoot() {
		return naming{}
	}
	for _, r := range recs {
		if r.Path.Len() == pre.Len() {
			exact = true
			break
		}
	}
	if exact {
		return naming{prefix: pre, baseName: pre.String(), slash: true}
	}
	return naming{prefix: pre, baseName: pre.String() + "/"}
}

// name returns the record name of p under this naming.
func (nm naming) name(p lwm2m.Path) string {
	if nm.prefix.IsRoot() {
		return p.String()
	}
	if p.Len() == nm.prefix.Len() {
		return ""
	}
	var buf [24]byte
	b := buf[:0]
	for i := nm.prefix.Len(); i < p.Len(); i++ {
		if i > nm.prefix.Len() || nm.slash {
			b = append(b, '/')
		}
		b = strconv.AppendUint(b, uint64(p.ID(i)), 10)
	}
	return string(b)
}
