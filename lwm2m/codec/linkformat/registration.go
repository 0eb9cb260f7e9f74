package linkformat

import (
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// rtLwM2M marks the link naming the LwM2M root (Core TS 1.1 §6.2.1).
const rtLwM2M = "oma.lwm2m"

// Registration is the payload of Register and Update: the client's
// alternate root path, the content formats it supports and the objects and
// object instances it serves.
type Registration struct {
	RootPath       string                // "/" or an alternate root such as "/lwm2m", without trailing '/'
	ContentFormats []lwm2m.ContentFormat // ct of the root link
	Objects        []ObjectLink          // in payload order, paths relative to RootPath
}

// ParseRegistration reads a Register or Update payload, e.g.
//
//	</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>;ver=1.1
//	</lwm2m>;rt="oma.lwm2m";ct="60 110 112 11542",</lwm2m/3/0>,</lwm2m/5>
//	</1/0>,</3/0>                                  (LwM2M 1.0, no root link)
//
// The root link is the one with rt="oma.lwm2m" (or, without it, the target
// "/"); its target is the alternate root path and its ct the supported
// formats (one number, or a quoted list in 1.2). Every other link must be an
// object or object-instance path under the root; ver, ct and attributes on
// it are read, other parameters ignored. Errors name the offending link and
// its byte offset.
func ParseRegistration(data []byte) (Registration, error) {
	links, offs, err := parse(data)
	if err != nil {
		return Registration{}, err
	}
	reg := Registration{RootPath: "/"}
	rootIdx := -1
	for i := range links {
		if !isRootLink(&links[i]) {
			continue
		}
		if rootIdx >= 0 {
			return Registration{}, codec.Malformed(format, offs[i], "link <%s>: a second root link (the first is <%s>)", links[i].Target, links[rootIdx].Target)
		}
		rootIdx = i
	}
	if rootIdx >= 0 {
		l := &links[rootIdx]
		root, ok := normalizeRoot(l.Target)
		if !ok {
			return Registration{}, codec.Malformed(format, offs[rootIdx], "link <%s>: not a usable root path", l.Target)
		}
		reg.RootPath = root
		if v, ok := l.Param("ct"); ok {
			cts, err := parseContentFormats(v)
			if err != nil {
				return Registration{}, codec.Malformed(format, offs[rootIdx], "link <%s>: %v", l.Target, err)
			}
			reg.ContentFormats = cts
		}
	}
	reg.Objects = make([]ObjectLink, 0, len(links))
	for i := range links {
		if i == rootIdx {
			continue
		}
		l := &links[i]
		rel, ok := underRoot(l.Target, reg.RootPath)
		if !ok {
			return Registration{}, codec.Malformed(format, offs[i], "link <%s> is not under the root path %s", l.Target, reg.RootPath)
		}
		p, err := lwm2m.ParsePath(rel)
		if err != nil {
			return Registration{}, codec.Malformed(format, offs[i], "link <%s> is not an LwM2M path: %v", l.Target, err)
		}
		if !p.IsObject() && !p.IsInstance() {
			return Registration{}, codec.Malformed(format, offs[i], "link <%s> is not an object or object instance", l.Target)
		}
		ol, err := objectLink(p, l)
		if err != nil {
			return Registration{}, codec.Malformed(format, offs[i], "link <%s>: %v", l.Target, err)
		}
		reg.Objects = append(reg.Objects, ol)
	}
	return reg, nil
}

// FormatRegistration writes the payload a client sends: the root link with
// rt="oma.lwm2m" (and ct, when formats are given: one number, or a quoted
// list when there are several), then the object links under the root path.
func FormatRegistration(r Registration) []byte {
	root := r.RootPath
	if root == "" {
		root = "/"
	}
	links := make([]lwm2m.Link, 0, 1+len(r.Objects))
	rl := lwm2m.Link{Target: root, Params: []lwm2m.LinkParam{{Name: "rt", Value: rtLwM2M, HasValue: true}}}
	if len(r.ContentFormats) > 0 {
		rl.Params = append(rl.Params, lwm2m.LinkParam{Name: "ct", Value: formatContentFormats(r.ContentFormats), HasValue: true})
	}
	links = append(links, rl)
	for i := range r.Objects {
		links = append(links, r.Objects[i].link(root))
	}
	return Format(links)
}

func isRootLink(l *lwm2m.Link) bool {
	if rt, ok := l.Param("rt"); ok {
		for _, t := range strings.Fields(rt) {
			if t == rtLwM2M {
				return true
			}
		}
	}
	return l.Target == "/"
}

// normalizeRoot checks a root link target and drops a trailing '/'.
func normalizeRoot(t string) (string, bool) {
	if t == "" || t[0] != '/' || strings.ContainsAny(t, "?#") || strings.Contains(t, "//") {
		return "", false
	}
	if len(t) > 1 {
		t = strings.TrimSuffix(t, "/")
	}
	return t, true
}

// underRoot strips the root path from a link target.
func underRoot(target, root string) (string, bool) {
	if root == "/" {
		return target, true
	}
	rest, ok := strings.CutPrefix(target, root)
	if !ok || !strings.HasPrefix(rest, "/") {
		return "", false
	}
	return rest, true
}
