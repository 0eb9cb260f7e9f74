package lwjson

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Encode encodes n, which lives at p: EncodeRecords(p, n.Records(p)).
func (c *Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if err := n.Validate(p); err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	return c.EncodeRecords(p, n.AppendRecords(make([]lwm2m.Record, 0, countLeaves(n)), p, time.Time{}))
}

// EncodeRecords encodes records that lie at or under p, in the order given.
// "bn" is p with a trailing '/', and each "n" the rest of the record's path;
// when every record sits at p itself (a single value), "bn" is p's parent
// and "n" its last id, so that bn+n always names the value, which both
// Leshan and Wakaama read. A timestamped record gets an absolute "t" in
// seconds (with a fraction when it has one); times at or before the Unix
// epoch would read back as relative to now and are ErrNotRepresentable, as
// are none values, NaN and infinities.
func (*Codec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	base := p
	if len(recs) > 0 && !p.IsRoot() {
		base = p.Parent()
		for i := range recs {
			if recs[i].Path != p {
				base = p
				break
			}
		}
	}
	b := make([]byte, 0, 32+32*len(recs))
	b = append(b, `{"bn":"`...)
	b = append(b, base.String()...)
	if !base.IsRoot() {
		b = append(b, '/')
	}
	b = append(b, `","e":[`...)
	for i := range recs {
		r := &recs[i]
		if !r.Path.HasPrefix(p) || r.Path.Len() < 3 {
			return nil, fmt.Errorf("%s: %w: %s is not a resource or resource instance under %s", format, lwm2m.ErrInvalidNode, r.Path, p)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"n":"`...)
		for k := base.Len(); k < r.Path.Len(); k++ {
			if k > base.Len() {
				b = append(b, '/')
			}
			b = strconv.AppendUint(b, uint64(r.Path.ID(k)), 10)
		}
		b = append(b, '"', ',')
		var err error
		if b, err = appendValue(b, r); err != nil {
			return nil, err
		}
		if !r.Time.IsZero() {
			if b, err = appendTime(b, r); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

func appendValue(b []byte, r *lwm2m.Record) ([]byte, error) {
	v := r.Value
	switch v.Type() {
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		return appendString(append(b, `"sv":`...), v.Str()), nil
	case lwm2m.TypeOpaque:
		b = append(b, `"sv":"`...)
		return append(base64.StdEncoding.AppendEncode(b, v.Bytes()), '"'), nil
	case lwm2m.TypeInteger, lwm2m.TypeTime:
		return strconv.AppendInt(append(b, `"v":`...), v.Int(), 10), nil
	case lwm2m.TypeUnsigned:
		return strconv.AppendUint(append(b, `"v":`...), v.Uint(), 10), nil
	case lwm2m.TypeFloat:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, codec.NotRepresentable(format, "%s: %v is not a JSON number", r.Path, f)
		}
		return appendFloat(append(b, `"v":`...), f), nil
	case lwm2m.TypeBoolean:
		return strconv.AppendBool(append(b, `"bv":`...), v.Bool()), nil
	case lwm2m.TypeObjlnk:
		b = append(b, `"ov":"`...)
		return append(append(b, v.Text()...), '"'), nil
	}
	return nil, codec.NotRepresentable(format, "%s: every entry needs a value", r.Path)
}

// appendFloat writes the shortest text that reads back as f, in plain
// notation between 1e-6 and 1e21 (as encoding/json does).
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func appendTime(b []byte, r *lwm2m.Record) ([]byte, error) {
	sec, ns := r.Time.Unix(), r.Time.Nanosecond()
	if sec < 0 || sec == 0 && ns == 0 || sec >= maxSeconds {
		return nil, codec.NotRepresentable(format, "%s: time %s cannot be written as an absolute LwM2M JSON time",
			r.Path, r.Time.UTC().Format(time.RFC3339Nano))
	}
	b = strconv.AppendInt(append(b, `,"t":`...), sec, 10)
	if ns != 0 {
		var frac [10]byte
		s := strconv.AppendInt(frac[:0], int64(ns)+1e9, 10)[1:] // nine digits, leading zeros kept
		for len(s) > 0 && s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		b = append(append(b, '.'), s...)
	}
	return b, nil
}

// appendString writes s as a JSON string, escaping quotes, backslashes and
// control characters; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		}
		i++
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// countLeaves counts the values below n (n included), so that flattening
// allocates once.
func countLeaves(n *lwm2m.Node) int {
	if n.IsLeaf() {
		return 1
	}
	c := 0
	for i := range n.Children {
		c += countLeaves(&n.Children[i])
	}
	return c
}
