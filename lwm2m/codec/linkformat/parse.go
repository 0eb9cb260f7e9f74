// Package linkformat reads and writes the CoRE link format (RFC 6690,
// content format 40) as LwM2M uses it: the object list of Register and
// Update requests, Discover and Bootstrap-Discover answers, and Corelnk
// resource values. Parse and Format work on generic links; the LwM2M
// helpers (ParseRegistration, ParseDiscover and their Format counterparts)
// turn them into object links with versions, content formats and
// notification attributes.
package linkformat

import (
	"strings"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const format = lwm2m.FormatLinkFormat

// Caps against floods: a payload with more links, or a link with more
// parameters, is rejected.
const (
	MaxLinks  = 10000
	MaxParams = 64
)

// Parse reads a link-format document:
//
//	Link       = [ link-value *( "," link-value ) ]
//	link-value = "<" URI-Reference ">" *( ";" link-param )
//	link-param = parmname [ "=" ( ptoken / quoted-string ) ]
//
// Quoted strings may contain backslash escapes (quoted-pair), which are
// removed. Whitespace (space, tab, CR, LF) is tolerated around links,
// separators and '='. Errors are *codec.DecodeError values wrapping
// codec.ErrMalformed, with the byte offset of the problem. An empty
// document has no links.
func Parse(data []byte) ([]lwm2m.Link, error) {
	links, _, err := parse(data)
	return links, err
}

// parse is Parse that also returns the byte offset where each link starts.
func parse(data []byte) ([]lwm2m.Link, []int, error) {
	if !utf8.Valid(data) {
		return nil, nil, codec.Malformed(format, firstInvalidUTF8(data), "invalid UTF-8")
	}
	p := parser{s: string(data)}
	p.skipWS()
	if p.pos == len(p.s) {
		return nil, nil, nil
	}
	var (
		links   []lwm2m.Link
		offsets []int
	)
	for {
		if len(links) == MaxLinks {
			return nil, nil, codec.Malformed(format, p.pos, "more than %d links", MaxLinks)
		}
		start := p.pos
		l, err := p.link()
		if err != nil {
			return nil, nil, err
		}
		links = append(links, l)
		offsets = append(offsets, start)
		p.skipWS()
		if p.pos == len(p.s) {
			return links, offsets, nil
		}
		if p.s[p.pos] != ',' {
			return nil, nil, codec.Malformed(format, p.pos, "expected ',' or ';' after link <%s>, found %q", l.Target, p.s[p.pos])
		}
		p.pos++
		p.skipWS()
		if p.pos == len(p.s) {
			return nil, nil, codec.Malformed(format, p.pos, "trailing ',' without a link")
		}
	}
}

type parser struct {
	s   string
	pos int
}

func (p *parser) skipWS() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

// link reads "<target>" and its parameters.
func (p *parser) link() (lwm2m.Link, error) {
	start := p.pos
	if p.s[p.pos] != '<' {
		return lwm2m.Link{}, codec.Malformed(format, p.pos, "expected '<' to start a link, found %q", p.s[p.pos])
	}
	p.pos++
	end := p.pos
	for ; end < len(p.s) && p.s[end] != '>'; end++ {
		if c := p.s[end]; c <= ' ' || c == 0x7f || c == '<' {
			return lwm2m.Link{}, codec.Malformed(format, end, "byte %q not allowed in a link target", c)
		}
	}
	if end == len(p.s) {
		return lwm2m.Link{}, codec.Malformed(format, start, "link target has no closing '>'")
	}
	l := lwm2m.Link{Target: p.s[p.pos:end]}
	p.pos = end + 1
	for {
		p.skipWS()
		if p.pos == len(p.s) || p.s[p.pos] != ';' {
			return l, nil
		}
		p.pos++
		if len(l.Params) == MaxParams {
			return lwm2m.Link{}, codec.Malformed(format, p.pos, "link <%s> has more than %d parameters", l.Target, MaxParams)
		}
		prm, err := p.param()
		if err != nil {
			return lwm2m.Link{}, err
		}
		l.Params = append(l.Params, prm)
	}
}

// param reads parmname [ "=" ( ptoken / quoted-string ) ] after a ';'.
func (p *parser) param() (lwm2m.LinkParam, error) {
	p.skipWS()
	start := p.pos
	for p.pos < len(p.s) && isNameChar(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		if p.pos == len(p.s) {
			return lwm2m.LinkParam{}, codec.Malformed(format, p.pos, "expected a parameter name after ';', found the end")
		}
		return lwm2m.LinkParam{}, codec.Malformed(format, p.pos, "expected a parameter name after ';', found %q", p.s[p.pos])
	}
	prm := lwm2m.LinkParam{Name: p.s[start:p.pos]}
	p.skipWS()
	if p.pos == len(p.s) || p.s[p.pos] != '=' {
		return prm, nil
	}
	p.pos++
	p.skipWS()
	prm.HasValue = true
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		v, err := p.quoted()
		if err != nil {
			return lwm2m.LinkParam{}, err
		}
		prm.Value = v
		return prm, nil
	}
	vstart := p.pos
	for p.pos < len(p.s) && isPtokenChar(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == vstart {
		return lwm2m.LinkParam{}, codec.Malformed(format, p.pos, "parameter %q has '=' but no value", prm.Name)
	}
	prm.Value = p.s[vstart:p.pos]
	return prm, nil
}

// quoted reads a quoted-string starting at the opening '"' and returns it
// without quotes and with quoted-pairs resolved.
func (p *parser) quoted() (string, error) {
	open := p.pos
	p.pos++
	start := p.pos
	var b *strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			var v string
			if b == nil {
				v = p.s[start:p.pos]
			} else {
				b.WriteString(p.s[start:p.pos])
				v = b.String()
			}
			p.pos++
			return v, nil
		case c == '\\':
			if p.pos+1 == len(p.s) {
				return "", codec.Malformed(format, p.pos, "'\\' at the end of a quoted string")
			}
			if e := p.s[p.pos+1]; e < ' ' && e != '\t' || e == 0x7f {
				return "", codec.Malformed(format, p.pos+1, "control byte %#x in a quoted string", e)
			}
			if b == nil {
				b = &strings.Builder{}
			}
			b.WriteString(p.s[start:p.pos])
			start = p.pos + 1 // the escaped byte starts the next run
			p.pos += 2
			// An escaped multi-byte rune stays whole: its continuation bytes
			// are copied with the run.
		case c < ' ' && c != '\t' || c == 0x7f:
			return "", codec.Malformed(format, p.pos, "control byte %#x in a quoted string", c)
		default:
			p.pos++
		}
	}
	return "", codec.Malformed(format, open, "quoted string has no closing '\"'")
}

// isNameChar: RFC 5987 attr-char, plus '*' for extended names like title*.
func isNameChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '&', '+', '-', '.', '^', '_', '`', '|', '~', '*':
		return true
	}
	return false
}

// isPtokenChar: RFC 6690 ptokenchar.
func isPtokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '(', ')', '*', '+', '-', '.', '/', ':',
		'<', '=', '>', '?', '@', '[', ']', '^', '_', '`', '{', '|', '}', '~':
		return true
	}
	return false
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}
