package client

import (
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// WriteAttributes merges a into the attributes stored at p (Core TS 1.1
// §5.4.4, §6.3.4): 4.04 when p does not exist, 4.05 on the root, 4.00 for
// gt/lt/st above resource level or on a non-numeric resource, and 4.00 when
// the merged set breaks the consistency rules (lt < gt, lt + 2*st < gt,
// epmin <= epmax).
func (t *Tree) WriteAttributes(p lwm2m.Path, a lwm2m.Attributes, who access) error {
	if p.IsRoot() {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "write-attributes needs an object, instance or resource path")
	}
	if who == byServer && hidden(p.Object()) {
		return lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	o, _, r, err := t.resolve(p)
	if err != nil {
		return err
	}
	if a.Gt != nil || a.Lt != nil || a.St != nil {
		if p.Len() < 3 {
			return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: gt, lt and st apply to resources only", p)
		}
		rm, _ := o.Model.Resource(p.Resource())
		if !isNumericType(rm.Type) || (r.Multiple && p.Len() == 3) {
			return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: gt, lt and st need a numeric single value", p)
		}
	}
	merged := t.attrs[p].Merge(a)
	if err := merged.Validate(); err != nil {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: %v", p, err)
	}
	if merged.IsZero() {
		delete(t.attrs, p)
	} else {
		if t.attrs == nil {
			t.attrs = map[lwm2m.Path]lwm2m.Attributes{}
		}
		t.attrs[p] = merged
	}
	t.notify(p)
	return nil
}

func isNumericType(ty lwm2m.Type) bool {
	switch ty {
	case lwm2m.TypeInteger, lwm2m.TypeUnsigned, lwm2m.TypeFloat, lwm2m.TypeTime:
		return true
	}
	return false
}

// AttributesAt returns the attributes written exactly at p.
func (t *Tree) AttributesAt(p lwm2m.Path) lwm2m.Attributes { return t.attrs[p] }

// EffectiveAttributes returns the attributes that apply to an observation
// of p: those of the object, then the instance, resource and resource
// instance, each level overriding the one above (Core TS 1.1 §5.1.2).
func (t *Tree) EffectiveAttributes(p lwm2m.Path) lwm2m.Attributes {
	var a lwm2m.Attributes
	for n := 1; n <= p.Len(); n++ {
		if x, ok := t.attrs[p.Truncate(n)]; ok {
			a = a.Merge(x)
		}
	}
	return a
}

// forgetAttrs drops the attributes at and under p (a deleted instance).
func (t *Tree) forgetAttrs(p lwm2m.Path) {
	for q := range t.attrs {
		if q.HasPrefix(p) {
			delete(t.attrs, q)
		}
	}
}

func attrParams(a lwm2m.Attributes) []lwm2m.LinkParam {
	q := a.Query()
	out := make([]lwm2m.LinkParam, 0, len(q))
	for _, s := range q {
		name, val, has := strings.Cut(s, "=")
		out = append(out, lwm2m.LinkParam{Name: name, Value: val, HasValue: has})
	}
	return out
}

// Discover lists what lies at p with its attributes (Core TS 1.1 §6.3.2):
// an object lists itself (with ver when not 1.0), its instances and their
// resources; an instance lists itself and its resources; a resource lists
// itself with dim when multiple, then its resource instances. 4.04 for what
// is missing, 4.00 on a resource instance, 4.05 on the root.
func (t *Tree) Discover(p lwm2m.Path, who access) ([]lwm2m.Link, error) {
	if p.IsRoot() {
		return nil, lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "discover of the root is for the bootstrap server")
	}
	if p.IsResourceInstance() {
		return nil, lwm2m.Errorf(lwm2m.CodeBadRequest, "discover needs an object, instance or resource path")
	}
	if who == byServer && hidden(p.Object()) {
		return nil, lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	o, in, r, err := t.resolve(p)
	if err != nil {
		return nil, err
	}
	var links []lwm2m.Link
	add := func(q lwm2m.Path, extra ...lwm2m.LinkParam) {
		params := append(extra, attrParams(t.attrs[q])...)
		links = append(links, lwm2m.Link{Target: q.String(), Params: params})
	}
	resources := func(in *Instance) {
		add(lwm2m.InstancePath(o.Model.ID, in.ID))
		for i := range in.Resources {
			res := &in.Resources[i]
			q := lwm2m.ResourcePath(o.Model.ID, in.ID, res.ID)
			if res.Multiple {
				add(q, lwm2m.LinkParam{Name: "dim", Value: strconv.Itoa(len(res.Instances)), HasValue: true})
			} else {
				add(q)
			}
		}
	}
	switch p.Len() {
	case 1:
		var extra []lwm2m.LinkParam
		if v := o.Model.Version; v != "" && v != "1.0" {
			extra = append(extra, lwm2m.LinkParam{Name: "ver", Value: v, HasValue: true})
		}
		add(p, extra...)
		for _, in := range o.Instances {
			resources(in)
		}
	case 2:
		resources(in)
	case 3:
		if r.Multiple {
			add(p, lwm2m.LinkParam{Name: "dim", Value: strconv.Itoa(len(r.Instances)), HasValue: true})
			for _, ri := range r.Instances {
				add(p.Child(ri.ID))
			}
		} else {
			add(p)
		}
	}
	return links, nil
}

// BootstrapDiscover lists the objects and instances for the bootstrap
// server (Core TS 1.1 §5.2.7.3): "</>;lwm2m=1.1" first when p is the root,
// then every object (with ver when not 1.0) or its instances, Security and
// Server instances carrying ssid (and uri for Security).
func (t *Tree) BootstrapDiscover(p lwm2m.Path, version string) ([]lwm2m.Link, error) {
	if p.Len() > 1 {
		return nil, lwm2m.Errorf(lwm2m.CodeBadRequest, "bootstrap discover needs / or an object path")
	}
	var links []lwm2m.Link
	if p.IsRoot() {
		links = append(links, lwm2m.Link{Target: "/", Params: []lwm2m.LinkParam{{Name: "lwm2m", Value: version, HasValue: true}}})
	} else if _, ok := t.Object(p.Object()); !ok {
		return nil, lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	for _, o := range t.objects {
		if p.IsObject() && o.Model.ID != p.Object() {
			continue
		}
		var ver []lwm2m.LinkParam
		if v := o.Model.Version; v != "" && v != "1.0" {
			ver = append(ver, lwm2m.LinkParam{Name: "ver", Value: v, HasValue: true})
		}
		if len(o.Instances) == 0 {
			links = append(links, lwm2m.Link{Target: lwm2m.ObjectPath(o.Model.ID).String(), Params: ver})
			continue
		}
		for _, in := range o.Instances {
			l := lwm2m.Link{Target: lwm2m.InstancePath(o.Model.ID, in.ID).String()}
			switch o.Model.ID {
			case 0:
				if !isBootstrapAccount(in) {
					if r, ok := in.Resource(10); ok {
						l.Params = append(l.Params, lwm2m.LinkParam{Name: "ssid", Value: r.Value.Text(), HasValue: true})
					}
				}
				if r, ok := in.Resource(0); ok {
					l.Params = append(l.Params, lwm2m.LinkParam{Name: "uri", Value: r.Value.Str(), HasValue: true})
				}
			case 1:
				if r, ok := in.Resource(0); ok {
					l.Params = append(l.Params, lwm2m.LinkParam{Name: "ssid", Value: r.Value.Text(), HasValue: true})
				}
			}
			links = append(links, l)
		}
	}
	return links, nil
}
