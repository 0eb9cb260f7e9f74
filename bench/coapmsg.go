package main

import (
	"errors"
	"fmt"
	"strconv"
)

// CoAP message types and the few codes and options the harness speaks
// (RFC 7252 §3, §12; RFC 7641 for Observe).
const (
	typeCON = 0
	typeNON = 1
	typeACK = 2
	typeRST = 3

	codeEmpty   = 0x00
	codeGET     = 0x01
	codePOST    = 0x02
	codePUT     = 0x03
	codeCreated = 0x41 // 2.01
	codeChanged = 0x44 // 2.04
	codeContent = 0x45 // 2.05
	codeNotFnd  = 0x84 // 4.04

	optObserve       = 6
	optLocationPath  = 8
	optURIPath       = 11
	optContentFormat = 12
	optURIQuery      = 15
)

// errMessage is wrapped by every parse failure.
var errMessage = errors.New("coap message")

// option is one CoAP option.
type option struct {
	num uint16
	val []byte
}

// msg is a parsed or to-be-encoded CoAP message over UDP.
type msg struct {
	typ     uint8
	code    uint8
	mid     uint16
	token   []byte
	opts    []option // ascending by number when encoding
	payload []byte
}

// uintOpt encodes v as a CoAP uint option value (shortest big-endian).
func uintOpt(v uint32) []byte {
	switch {
	case v == 0:
		return nil
	case v < 1<<8:
		return []byte{byte(v)}
	case v < 1<<16:
		return []byte{byte(v >> 8), byte(v)}
	case v < 1<<24:
		return []byte{byte(v >> 16), byte(v >> 8), byte(v)}
	}
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func optExt(v int) (nib byte, ext []byte) {
	switch {
	case v < 13:
		return byte(v), nil
	case v < 269:
		return 13, []byte{byte(v - 13)}
	}
	v -= 269
	return 14, []byte{byte(v >> 8), byte(v)}
}

// encode appends m's wire form to b.
func (m *msg) encode(b []byte) []byte {
	b = append(b, 1<<6|m.typ<<4|byte(len(m.token)), m.code, byte(m.mid>>8), byte(m.mid))
	b = append(b, m.token...)
	prev := 0
	for _, o := range m.opts {
		dn, dx := optExt(int(o.num) - prev)
		ln, lx := optExt(len(o.val))
		b = append(b, dn<<4|ln)
		b = append(b, dx...)
		b = append(b, lx...)
		b = append(b, o.val...)
		prev = int(o.num)
	}
	if len(m.payload) > 0 {
		b = append(b, 0xff)
		b = append(b, m.payload...)
	}
	return b
}

// parse reads a datagram. The slices in the result alias b.
func parse(b []byte) (msg, error) {
	var m msg
	if len(b) < 4 {
		return m, fmt.Errorf("%w: %d bytes, the header needs 4", errMessage, len(b))
	}
	if b[0]>>6 != 1 {
		return m, fmt.Errorf("%w: byte 0: version %d, want 1", errMessage, b[0]>>6)
	}
	tkl := int(b[0] & 0x0f)
	if tkl > 8 {
		return m, fmt.Errorf("%w: byte 0: token length %d over 8", errMessage, tkl)
	}
	m.typ, m.code, m.mid = b[0]>>4&3, b[1], uint16(b[2])<<8|uint16(b[3])
	if len(b) < 4+tkl {
		return m, fmt.Errorf("%w: byte 4: token of %d bytes cut short", errMessage, tkl)
	}
	m.token = b[4 : 4+tkl]
	i, num := 4+tkl, 0
	for i < len(b) {
		if b[i] == 0xff {
			if i+1 == len(b) {
				return m, fmt.Errorf("%w: byte %d: payload marker without payload", errMessage, i)
			}
			m.payload = b[i+1:]
			return m, nil
		}
		at := i
		dn, ln := int(b[i]>>4), int(b[i]&0x0f)
		i++
		var err error
		var d, l int
		if d, i, err = readExt(b, i, dn, at, "delta"); err != nil {
			return m, err
		}
		if l, i, err = readExt(b, i, ln, at, "length"); err != nil {
			return m, err
		}
		if l > len(b)-i {
			return m, fmt.Errorf("%w: byte %d: option value of %d bytes, %d left", errMessage, at, l, len(b)-i)
		}
		num += d
		if num > 0xffff {
			return m, fmt.Errorf("%w: byte %d: option number %d over 65535", errMessage, at, num)
		}
		m.opts = append(m.opts, option{num: uint16(num), val: b[i : i+l]})
		i += l
	}
	return m, nil
}

func readExt(b []byte, i, nib, at int, what string) (int, int, error) {
	switch nib {
	case 13:
		if i >= len(b) {
			return 0, i, fmt.Errorf("%w: byte %d: option %s extension cut short", errMessage, at, what)
		}
		return int(b[i]) + 13, i + 1, nil
	case 14:
		if i+1 >= len(b) {
			return 0, i, fmt.Errorf("%w: byte %d: option %s extension cut short", errMessage, at, what)
		}
		return int(b[i])<<8 | int(b[i+1]) + 269, i + 2, nil
	case 15:
		return 0, i, fmt.Errorf("%w: byte %d: option %s nibble 15 is reserved", errMessage, at, what)
	}
	return nib, i, nil
}

// path joins the Uri-Path options as "/a/b/c".
func (m *msg) path() string {
	s := ""
	for _, o := range m.opts {
		if o.num == optURIPath {
			s += "/" + string(o.val)
		}
	}
	return s
}

// has reports whether option num is present.
func (m *msg) has(num uint16) bool {
	for _, o := range m.opts {
		if o.num == num {
			return true
		}
	}
	return false
}

// location joins the Location-Path options as "/rd/x".
func (m *msg) location() string {
	s := ""
	for _, o := range m.opts {
		if o.num == optLocationPath {
			s += "/" + string(o.val)
		}
	}
	return s
}

func pathOpts(p ...string) []option {
	o := make([]option, len(p))
	for i, s := range p {
		o[i] = option{num: optURIPath, val: []byte(s)}
	}
	return o
}

func queryOpts(q ...string) []option {
	o := make([]option, len(q))
	for i, s := range q {
		o[i] = option{num: optURIQuery, val: []byte(s)}
	}
	return o
}

// codeString renders a code as "2.05".
func codeString(c uint8) string {
	return strconv.Itoa(int(c>>5)) + "." + fmt2(int(c&0x1f))
}

func fmt2(v int) string {
	if v < 10 {
		return "0" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}
