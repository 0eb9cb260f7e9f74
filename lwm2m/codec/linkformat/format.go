package linkformat

import (
	"github.com/shoal-iot/shoal/lwm2m"
)

// Format writes links in canonical form: no whitespace, parameters in the
// given order, bare parameters without '='. Values are quoted when they
// need it (empty, or holding bytes outside RFC 6690's ptoken) and always
// for the parameters whose grammar is a quoted string or that LwM2M shows
// quoted: rt, if, rel, rev, anchor, title and uri. Inside quotes '"' and
// '\' are escaped. Parse(Format(links)) returns links.
func Format(links []lwm2m.Link) []byte {
	n := 0
	for i := range links {
		n += 3 + len(links[i].Target)
		for _, p := range links[i].Params {
			n += 4 + len(p.Name) + len(p.Value)
		}
	}
	return appendLinks(make([]byte, 0, n), links)
}

func appendLinks(dst []byte, links []lwm2m.Link) []byte {
	for i := range links {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendLink(dst, &links[i])
	}
	return dst
}

func appendLink(dst []byte, l *lwm2m.Link) []byte {
	dst = append(dst, '<')
	dst = append(dst, l.Target...)
	dst = append(dst, '>')
	for _, p := range l.Params {
		dst = append(dst, ';')
		dst = append(dst, p.Name...)
		if !p.HasValue {
			continue
		}
		dst = append(dst, '=')
		if !alwaysQuoted(p.Name) && isPtoken(p.Value) {
			dst = append(dst, p.Value...)
			continue
		}
		dst = append(dst, '"')
		for i := 0; i < len(p.Value); i++ {
			if c := p.Value[i]; c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, p.Value[i])
		}
		dst = append(dst, '"')
	}
	return dst
}

func alwaysQuoted(name string) bool {
	switch name {
	case "rt", "if", "rel", "rev", "anchor", "title", "uri":
		return true
	}
	return false
}

func isPtoken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isPtokenChar(s[i]) {
			return false
		}
	}
	return true
}
