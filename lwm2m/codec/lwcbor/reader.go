package lwcbor

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// CBOR major types (RFC 8949 §3.1).
const (
	majUint   = 0
	majNeg    = 1
	majBytes  = 2
	majText   = 3
	majArray  = 4
	majMap    = 5
	majTag    = 6
	majSimple = 7
)

// Tags this package understands (RFC 8949 §3.4).
const (
	tagDateTimeString = 0
	tagEpochTime      = 1
	tagPosBignum      = 2
	tagNegBignum      = 3
	tagDecimal        = 4
)

// maxTags bounds how many tags may stack on one data item.
const maxTags = 4

// head is the initial byte of a data item and its argument.
type head struct {
	off   int // offset of the initial byte
	major byte
	ai    byte   // additional information (low five bits)
	arg   uint64 // value, length or count; 0 when indefinite
	indef bool   // indefinite length (ai 31 on major types 2..5)
}

func (h head) isBreak() bool { return h.major == majSimple && h.ai == 31 }

// reader walks a CBOR payload. It never copies more than one string at a
// time and never trusts a length before checking it against what remains.
type reader struct {
	f    lwm2m.ContentFormat
	data []byte
	off  int
}

func (r *reader) errAt(off int, format string, args ...any) error {
	return codec.Malformed(r.f, off, format, args...)
}

func (r *reader) remaining() int { return len(r.data) - r.off }

// readHead reads one initial byte and its argument.
func (r *reader) readHead() (head, error) {
	if r.off >= len(r.data) {
		return head{}, r.errAt(r.off, "unexpected end of payload")
	}
	h := head{off: r.off, major: r.data[r.off] >> 5, ai: r.data[r.off] & 0x1f}
	r.off++
	switch {
	case h.ai < 24:
		h.arg = uint64(h.ai)
	case h.ai <= 27:
		n := 1 << (h.ai - 24)
		if r.remaining() < n {
			return head{}, r.errAt(h.off, "argument of %d bytes is cut short", n)
		}
		b := r.data[r.off : r.off+n]
		switch n {
		case 1:
			h.arg = uint64(b[0])
		case 2:
			h.arg = uint64(binary.BigEndian.Uint16(b))
		case 4:
			h.arg = uint64(binary.BigEndian.Uint32(b))
		default:
			h.arg = binary.BigEndian.Uint64(b)
		}
		r.off += n
	case h.ai == 31:
		switch h.major {
		case majBytes, majText, majArray, majMap:
			h.indef = true
		case majSimple: // break
		default:
			return head{}, r.errAt(h.off, "major type %d cannot have indefinite length", h.major)
		}
	default:
		return head{}, r.errAt(h.off, "reserved additional information %d", h.ai)
	}
	return h, nil
}

// peekBreak consumes a break byte (0xff) if one is next.
func (r *reader) peekBreak() bool {
	if r.off < len(r.data) && r.data[r.off] == 0xff {
		r.off++
		return true
	}
	return false
}

// readString returns the content of the byte or text string whose head is
// h. A definite string aliases the payload; an indefinite one is gathered
// from its chunks into a new slice no larger than the chunks really are.
func (r *reader) readString(h head) ([]byte, error) {
	if !h.indef {
		if h.arg > uint64(r.remaining()) {
			return nil, r.errAt(h.off, "string of %d bytes exceeds the %d bytes left", h.arg, r.remaining())
		}
		b := r.data[r.off : r.off+int(h.arg)]
		r.off += int(h.arg)
		return b, nil
	}
	var out []byte
	for {
		if r.peekBreak() {
			if out == nil {
				out = []byte{}
			}
			return out, nil
		}
		c, err := r.readHead()
		if err != nil {
			return nil, err
		}
		if c.major != h.major || c.indef {
			return nil, r.errAt(c.off, "chunk of an indefinite string must be a definite string of the same type")
		}
		b, err := r.readString(c)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
}

// itemKind says what a leaf data item holds.
type itemKind uint8

const (
	kindUint itemKind = iota + 1
	kindNeg           // value is -1 - u
	kindFloat
	kindBool
	kindNull
	kindBytes
	kindText
	kindTime // epoch seconds in t (tag 1 or tag 0)
)

// item is one decoded leaf.
type item struct {
	off  int
	kind itemKind
	u    uint64
	f    float64
	b    bool
	s    []byte // bytes or text; aliases the payload when definite
	t    int64  // kindTime
}

// readLeaf reads one data item that is not an array or a map (tags 0, 1 and
// 4 are interpreted, bignums refused, other tags skipped).
func (r *reader) readLeaf(h head) (item, error) {
	it := item{off: h.off}
	for tags := 0; h.major == majTag; tags++ {
		if tags == maxTags {
			return item{}, r.errAt(h.off, "more than %d tags on one item", maxTags)
		}
		switch h.arg {
		case tagEpochTime, tagDateTimeString:
			return r.readTime(h)
		case tagDecimal:
			return r.readDecimal(h)
		case tagPosBignum, tagNegBignum:
			return item{}, r.errAt(h.off, "bignums (tag %d) are not supported", h.arg)
		}
		var err error
		if h, err = r.readHead(); err != nil {
			return item{}, err
		}
	}
	switch h.major {
	case majUint:
		it.kind, it.u = kindUint, h.arg
	case majNeg:
		it.kind, it.u = kindNeg, h.arg
	case majBytes, majText:
		s, err := r.readString(h)
		if err != nil {
			return item{}, err
		}
		it.kind, it.s = kindBytes, s
		if h.major == majText {
			if !utf8.Valid(s) {
				return item{}, r.errAt(h.off, "text string is not valid UTF-8")
			}
			it.kind = kindText
		}
	case majArray, majMap:
		return item{}, r.errAt(h.off, "expected a single value, found %s", majorName(h.major))
	case majSimple:
		return r.simple(h)
	}
	return it, nil
}

func (r *reader) simple(h head) (item, error) {
	it := item{off: h.off}
	switch h.ai {
	case 20, 21:
		it.kind, it.b = kindBool, h.ai == 21
	case 22:
		it.kind = kindNull
	case 25:
		it.kind, it.f = kindFloat, halfToFloat(uint16(h.arg))
	case 26:
		it.kind, it.f = kindFloat, float64(math.Float32frombits(uint32(h.arg)))
	case 27:
		it.kind, it.f = kindFloat, math.Float64frombits(h.arg)
	case 31:
		return item{}, r.errAt(h.off, "unexpected break")
	case 23:
		return item{}, r.errAt(h.off, "undefined is not an LwM2M value")
	default:
		return item{}, r.errAt(h.off, "simple value %d is not an LwM2M value", h.arg)
	}
	return it, nil
}

// readTime reads the item under tag 1 (a number of seconds) or tag 0 (an
// RFC 3339 string).
func (r *reader) readTime(tag head) (item, error) {
	h, err := r.readHead()
	if err != nil {
		return item{}, err
	}
	it := item{off: tag.off, kind: kindTime}
	if tag.arg == tagDateTimeString {
		if h.major != majText {
			return item{}, r.errAt(h.off, "tag 0 needs a text string")
		}
		s, err := r.readString(h)
		if err != nil {
			return item{}, err
		}
		ts, err := time.Parse(time.RFC3339, string(s))
		if err != nil {
			return item{}, r.errAt(h.off, "tag 0: %q is not an RFC 3339 date/time", s)
		}
		it.t = ts.Unix()
		return it, nil
	}
	switch {
	case h.major == majUint && h.arg <= math.MaxInt64:
		it.t = int64(h.arg)
	case h.major == majNeg && h.arg <= math.MaxInt64:
		it.t = -1 - int64(h.arg)
	case h.major == majSimple && h.ai >= 25 && h.ai <= 27:
		f, _ := r.simple(h)
		if math.IsNaN(f.f) || f.f < -9.2e18 || f.f > 9.2e18 {
			return item{}, r.errAt(h.off, "tag 1: %v seconds is out of range", f.f)
		}
		it.t = int64(math.Floor(f.f))
	default:
		return item{}, r.errAt(h.off, "tag 1 needs an integer or a float in range")
	}
	return it, nil
}

// readDecimal reads a decimal fraction [exponent, mantissa] (tag 4) into a
// float, as SenML allows and Anjay accepts.
func (r *reader) readDecimal(tag head) (item, error) {
	h, err := r.readHead()
	if err != nil {
		return item{}, err
	}
	if h.major != majArray || h.indef || h.arg != 2 {
		return item{}, r.errAt(h.off, "tag 4 needs an array of two integers")
	}
	var parts [2]int64
	for i := range parts {
		e, err := r.readHead()
		if err != nil {
			return item{}, err
		}
		switch {
		case e.major == majUint && e.arg <= math.MaxInt64:
			parts[i] = int64(e.arg)
		case e.major == majNeg && e.arg <= math.MaxInt64:
			parts[i] = -1 - int64(e.arg)
		default:
			return item{}, r.errAt(e.off, "tag 4: exponent and mantissa must be 64-bit integers")
		}
	}
	var buf [48]byte
	b := strconv.AppendInt(buf[:0], parts[1], 10)
	b = append(b, 'e')
	b = strconv.AppendInt(b, parts[0], 10)
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return item{}, r.errAt(tag.off, "tag 4: %se%d is out of float range", strconv.FormatInt(parts[1], 10), parts[0])
	}
	return item{off: tag.off, kind: kindFloat, f: f}, nil
}

func majorName(m byte) string {
	switch m {
	case majArray:
		return "an array"
	case majMap:
		return "a map"
	}
	return "an item of major type " + strconv.Itoa(int(m))
}

// halfToFloat widens an IEEE 754 half-precision number.
func halfToFloat(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	var f float64
	switch exp {
	case 0:
		f = math.Ldexp(mant, -24)
	case 31:
		if mant == 0 {
			f = math.Inf(1)
		} else {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		f = -f
	}
	return f
}
