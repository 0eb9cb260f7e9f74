package client

import (
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// formatLinks renders links in CoRE link format (RFC 6690) for Discover
// answers. Values that are not plain tokens are quoted.
func formatLinks(links []lwm2m.Link) []byte {
	var b strings.Builder
	for i, l := range links {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('<')
		b.WriteString(l.Target)
		b.WriteByte('>')
		for _, p := range l.Params {
			b.WriteByte(';')
			b.WriteString(p.Name)
			if !p.HasValue {
				continue
			}
			b.WriteByte('=')
			if isToken(p.Value) {
				b.WriteString(p.Value)
			} else {
				b.WriteByte('"')
				b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p.Value, `\`, `\\`), `"`, `\"`))
				b.WriteByte('"')
			}
		}
	}
	return []byte(b.String())
}

// isToken reports whether s can go unquoted: digits, letters and the few
// punctuation marks numbers and versions use.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '.', c == '-', c == '_', c == '+':
		default:
			return false
		}
	}
	return true
}
