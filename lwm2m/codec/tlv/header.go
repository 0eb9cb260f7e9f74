package tlv

import (
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// idType is the identifier type in bits 7-6 of the type byte.
type idType uint8

const (
	typeObjectInstance   idType = 0 // 00: object instance, value holds resources
	typeResourceInstance idType = 1 // 01: resource instance with a value
	typeMultiple         idType = 2 // 10: multiple resource, value holds resource instances
	typeResource         idType = 3 // 11: resource with a value
)

var idTypeNames = [...]string{"object instance", "resource instance", "multiple resource", "resource"}

func (t idType) String() string { return idTypeNames[t&3] }

// maxLen is the largest value a 24-bit length field can announce.
const maxLen = 1<<24 - 1

// header is one decoded TLV header: the identifier type, the identifier, and
// where the value lies as absolute offsets into the payload.
type header struct {
	typ   idType
	id    uint16
	start int // first byte of the value
	end   int // one past the last byte of the value
}

// readHeader reads the TLV starting at data[off] whose value must end at or
// before limit. It checks every length against the bytes actually present
// before trusting it; nothing is allocated.
func readHeader(data []byte, off, limit int) (header, error) {
	if off >= limit {
		return header{}, codec.Malformed(format, off, "truncated TLV: no type byte")
	}
	tb := data[off]
	h := header{typ: idType(tb >> 6)}
	pos := off + 1
	idLen := 1
	if tb&0x20 != 0 {
		idLen = 2
	}
	lenLen := int(tb>>3) & 3
	if limit-pos < idLen+lenLen {
		return header{}, codec.Malformed(format, off, "truncated %s TLV header: needs %d more bytes, %d left",
			h.typ, idLen+lenLen, limit-pos)
	}
	if idLen == 1 {
		h.id = uint16(data[pos])
	} else {
		h.id = uint16(data[pos])<<8 | uint16(data[pos+1])
		if h.id == 0xffff {
			return header{}, codec.Malformed(format, off, "%s identifier 65535 is reserved", h.typ)
		}
	}
	pos += idLen
	var n int
	switch lenLen {
	case 0:
		n = int(tb & 7)
	case 1:
		n = int(data[pos])
	case 2:
		n = int(data[pos])<<8 | int(data[pos+1])
	case 3:
		n = int(data[pos])<<16 | int(data[pos+1])<<8 | int(data[pos+2])
	}
	pos += lenLen
	if n > limit-pos {
		return header{}, codec.Malformed(format, off, "%s %d: length %d exceeds the %d bytes left", h.typ, h.id, n, limit-pos)
	}
	h.start, h.end = pos, pos+n
	return h, nil
}

// countTLVs counts the TLVs that exactly fill data[off:end], validating
// every header on the way. It sizes child slices from what is really
// present, never from a length field.
func countTLVs(data []byte, off, end int) (int, error) {
	n := 0
	for off < end {
		h, err := readHeader(data, off, end)
		if err != nil {
			return 0, err
		}
		off = h.end
		n++
	}
	return n, nil
}

// countResources counts the TLVs that fill data[off:end] and, inside those
// that are multiple resources, the nested TLVs.
func countResources(data []byte, off, end int) (n, nested int, err error) {
	for off < end {
		h, err := readHeader(data, off, end)
		if err != nil {
			return 0, 0, err
		}
		if h.typ == typeMultiple {
			m, err := countTLVs(data, h.start, h.end)
			if err != nil {
				return 0, 0, err
			}
			nested += m
		}
		off = h.end
		n++
	}
	return n, nested, nil
}

// headerLen is the size of the header of a TLV with identifier id and a
// value of n bytes.
func headerLen(id uint16, n int) int {
	l := 2
	if id > 0xff {
		l++
	}
	switch {
	case n < 8:
	case n <= 0xff:
		l++
	case n <= 0xffff:
		l += 2
	default:
		l += 3
	}
	return l
}

// appendHeader appends the header of a TLV with the minimal identifier and
// length fields. n must not exceed maxLen.
func appendHeader(dst []byte, t idType, id uint16, n int) []byte {
	tb := byte(t) << 6
	if id > 0xff {
		tb |= 0x20
	}
	switch {
	case n < 8:
		tb |= byte(n)
	case n <= 0xff:
		tb |= 1 << 3
	case n <= 0xffff:
		tb |= 2 << 3
	default:
		tb |= 3 << 3
	}
	dst = append(dst, tb)
	if id > 0xff {
		dst = append(dst, byte(id>>8))
	}
	dst = append(dst, byte(id))
	switch {
	case n < 8:
	case n <= 0xff:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, byte(n>>8), byte(n))
	default:
		dst = append(dst, byte(n>>16), byte(n>>8), byte(n))
	}
	return dst
}
