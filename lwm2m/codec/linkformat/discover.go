package linkformat

import (
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// ParseDiscover reads a Discover (or Bootstrap-Discover) answer, e.g.
//
//	</3>;ver=1.1,</3/0>;pmin=10,</3/0/7>;dim=2;pmax=60,</3/0/13>
//
// Every target must be an LwM2M path ("/" included, as Bootstrap-Discover
// starts with </>;lwm2m=1.1). ver, ct, dim and the notification attributes
// (pmin pmax gt lt st epmin epmax edge con hqmax) are read; other
// parameters — ssid and uri of Bootstrap-Discover among them — are ignored
// here and can be read with Parse. Errors name the link and its offset.
func ParseDiscover(data []byte) ([]ObjectLink, error) {
	links, offs, err := parse(data)
	if err != nil {
		return nil, err
	}
	out := make([]ObjectLink, 0, len(links))
	for i := range links {
		l := &links[i]
		p, err := lwm2m.ParsePath(l.Target)
		if err != nil {
			return nil, codec.Malformed(format, offs[i], "link <%s> is not an LwM2M path: %v", l.Target, err)
		}
		ol, err := objectLink(p, l)
		if err != nil {
			return nil, codec.Malformed(format, offs[i], "link <%s>: %v", l.Target, err)
		}
		out = append(out, ol)
	}
	return out, nil
}

// FormatDiscover writes a Discover answer: each link's path with ver, ct,
// dim and the set attributes, in that order.
func FormatDiscover(links []ObjectLink) []byte {
	ls := make([]lwm2m.Link, len(links))
	for i := range links {
		ls[i] = links[i].link("/")
	}
	return Format(ls)
}
