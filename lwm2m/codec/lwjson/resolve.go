package lwjson

import (
	"slices"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// resolver turns written entries into records: full paths, typed values,
// absolute times.
type resolver struct {
	pk      *pack
	req     lwm2m.Path
	reqText string // req.String(), made when a name is relative to it
	models  modelCache
	clock   func() time.Time
	now     time.Time // read once, when a relative time first needs it
	hasNow  bool
	bt      int64 // base time in nanoseconds
	btDone  bool
}

func (d *resolver) record(e *entry) (lwm2m.Record, error) {
	p, err := d.path(e)
	if err != nil {
		return lwm2m.Record{}, err
	}
	if !p.HasPrefix(d.req) {
		return lwm2m.Record{}, codec.MalformedAt(format, e.off, p, "outside the request path %s", d.req)
	}
	if p.Len() < 3 {
		return lwm2m.Record{}, codec.MalformedAt(format, e.off, p, "a value needs a resource or resource-instance path")
	}
	t, known := d.models.resourceType(p)
	v, err := value(e, p, t, known)
	if err != nil {
		return lwm2m.Record{}, err
	}
	when, err := d.when(e, p)
	if err != nil {
		return lwm2m.Record{}, err
	}
	return lwm2m.Record{Path: p, Value: v, Time: when}, nil
}

// path resolves an entry's name: bn+n when "bn" is given, else n itself
// when it starts with '/', else n below the request path. One trailing '/'
// is dropped, and so is a doubled '/' where bn and n meet.
func (d *resolver) path(e *entry) (lwm2m.Path, error) {
	var buf [40]byte
	b := buf[:0]
	n := e.name.text
	switch {
	case len(d.pk.bn.text) > 0: // an empty "bn" counts as none
		b = append(b, d.pk.bn.text...)
		if len(b) > 0 && b[len(b)-1] == '/' && len(n) > 0 && n[0] == '/' {
			n = n[1:]
		}
	case len(n) > 0 && n[0] == '/':
	default:
		if !d.req.IsRoot() {
			if d.reqText == "" {
				d.reqText = d.req.String()
			}
			b = append(b, d.reqText...)
		}
		if len(n) > 0 {
			b = append(b, '/')
		} else if d.req.IsRoot() {
			b = append(b, '/')
		}
	}
	if len(b)+len(n) > len(buf) {
		return lwm2m.Path{}, codec.Malformed(format, e.off, "name %q is too long for an LwM2M path", string(append(b, n...)))
	}
	b = append(b, n...)
	if len(b) > 1 && b[len(b)-1] == '/' {
		b = b[:len(b)-1]
	}
	p, ok := parsePath(b)
	if !ok {
		return lwm2m.Path{}, codec.Malformed(format, e.off, "name %q does not form an LwM2M path (from bn %q and n %q)",
			string(b), string(d.pk.bn.text), string(e.name.text))
	}
	return p, nil
}

// parsePath parses "/", "/3", …, "/3/0/1/2" without allocating.
func parsePath(b []byte) (lwm2m.Path, bool) {
	if len(b) == 0 || b[0] != '/' {
		return lwm2m.Path{}, false
	}
	if len(b) == 1 {
		return lwm2m.Root, true
	}
	var ids [4]uint16
	n := 0
	for i := 1; ; {
		if n == 4 {
			return lwm2m.Path{}, false
		}
		j := i
		v := 0
		for j < len(b) && b[j] >= '0' && b[j] <= '9' && j-i < 5 {
			v = v*10 + int(b[j]-'0')
			j++
		}
		if j == i || (j-i > 1 && b[i] == '0') || v > lwm2m.MaxID {
			return lwm2m.Path{}, false
		}
		ids[n] = uint16(v)
		n++
		if j == len(b) {
			break
		}
		if b[j] != '/' {
			return lwm2m.Path{}, false
		}
		i = j + 1
	}
	p, err := lwm2m.NewPath(ids[:n]...)
	return p, err == nil
}

// maxSeconds bounds bt and t (about year 2115) so that their sum in
// nanoseconds fits an int64.
const maxSeconds = 4_600_000_000

// when returns the entry's time: bt+t seconds, relative to now when the
// sum is zero or less, zero when neither is given.
func (d *resolver) when(e *entry, p lwm2m.Path) (time.Time, error) {
	if !e.t.set && !d.pk.bt.set {
		return time.Time{}, nil
	}
	if !d.btDone && d.pk.bt.set {
		bt, ok := nanos(d.pk.bt.text)
		if !ok {
			return time.Time{}, codec.Malformed(format, d.pk.bt.off, "\"bt\" %s is not a time in range", d.pk.bt.text)
		}
		d.bt = bt
	}
	d.btDone = true
	total := d.bt
	if e.t.set {
		t, ok := nanos(e.t.text)
		if !ok {
			return time.Time{}, codec.MalformedAt(format, e.t.off, p, "\"t\" %s is not a time in range", e.t.text)
		}
		total += t
	}
	if total > 0 {
		return time.Unix(0, total).UTC(), nil
	}
	if !d.hasNow {
		d.now, d.hasNow = d.clock(), true
	}
	return d.now.Add(time.Duration(total)), nil
}

// nanos converts a JSON number of seconds to nanoseconds, exactly for
// plain decimals, through float64 for exponent forms.
func nanos(text []byte) (int64, bool) {
	if slices.ContainsFunc(text, func(c byte) bool { return c == 'e' || c == 'E' }) {
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil || f > maxSeconds || f < -maxSeconds {
			return 0, false
		}
		return int64(f * 1e9), true
	}
	neg := text[0] == '-'
	if neg {
		text = text[1:]
	}
	var sec, frac int64
	i := 0
	for ; i < len(text) && text[i] != '.'; i++ {
		sec = sec*10 + int64(text[i]-'0')
		if sec > maxSeconds {
			return 0, false
		}
	}
	scale := int64(1e9)
	if i < len(text) {
		for _, c := range text[i+1:] {
			if scale == 1 {
				break // beyond nanoseconds
			}
			scale /= 10
			frac += int64(c-'0') * scale
		}
	}
	ns := sec*1e9 + frac
	if neg {
		ns = -ns
	}
	return ns, true
}

// checkDuplicates rejects a path given twice with the same time, and a
// path below another path that has a value (a resource cannot be both
// single and multiple).
func checkDuplicates(recs []lwm2m.Record) error {
	cmp := func(a, b lwm2m.Record) int {
		if c := a.Path.Compare(b.Path); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	}
	sorted := recs
	if !slices.IsSortedFunc(recs, cmp) {
		sorted = slices.Clone(recs)
		slices.SortFunc(sorted, cmp)
	}
	for i := 1; i < len(sorted); i++ {
		a, b := &sorted[i-1], &sorted[i]
		if a.Path == b.Path && a.Time.Equal(b.Time) {
			if a.Time.IsZero() {
				return codec.MalformedAt(format, -1, b.Path, "path appears twice")
			}
			return codec.MalformedAt(format, -1, b.Path, "path appears twice at %s", b.Time.Format(time.RFC3339Nano))
		}
		if a.Path != b.Path && b.Path.HasPrefix(a.Path) {
			return codec.MalformedAt(format, -1, b.Path, "lies under %s, which has a value of its own", a.Path)
		}
	}
	return nil
}
