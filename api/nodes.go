package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Write, Write-Update and Create bodies come in three forms:
//
//	{"kind":"instance","id":0,"resources":[…]}   a typed node (lwm2m's JSON)
//	{"value": X}                                 X shaped by the path
//	X                                            the same, unwrapped
//
// where X is a value for a resource or resource instance, an object
// {"<instance id>": value} or an array for a multiple resource, and an
// object {"<resource id>": X} for an object instance. The envelope may add
// "type" (a leaf's type, for resources no model knows) and, for Create,
// "id" (the new instance's id; left out, the device chooses).

// content parses a Write or Write-Update body addressed to p.
func (vp valueParser) content(p lwm2m.Path, body []byte) (lwm2m.Node, error) {
	n, _, err := vp.parseBody(p, body, false)
	return n, err
}

// createContent parses a Create body addressed to object p. ok is false
// when the body names no instance id.
func (vp valueParser) createContent(p lwm2m.Path, body []byte) (n lwm2m.Node, hasID bool, err error) {
	return vp.parseBody(p, body, true)
}

func (vp valueParser) parseBody(p lwm2m.Path, body []byte, create bool) (lwm2m.Node, bool, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return lwm2m.Node{}, false, badField("body", "empty; a value is required")
	}
	if !json.Valid(body) {
		var x any
		return lwm2m.Node{}, false, jsonFieldError(json.Unmarshal(body, &x))
	}
	x, field := json.RawMessage(body), ""
	var explicit *lwm2m.Type
	var id *uint16
	if body[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return lwm2m.Node{}, false, jsonFieldError(err)
		}
		switch {
		case m["kind"] != nil:
			return vp.typedNode(p, body, create, m["id"] != nil)
		case m["value"] != nil:
			x, field = m["value"], "value"
			for k, v := range m {
				switch k {
				case "value":
				case "type":
					var s string
					if json.Unmarshal(v, &s) != nil {
						return lwm2m.Node{}, false, badField("type", "must be a type name such as \"integer\"")
					}
					t, err := lwm2m.ParseType(s)
					if err != nil {
						return lwm2m.Node{}, false, badField("type", "%v", err)
					}
					explicit = &t
				case "id":
					if !create {
						return lwm2m.Node{}, false, badField("id", "only a Create names an instance id")
					}
					var u uint16
					if json.Unmarshal(v, &u) != nil || u > lwm2m.MaxID {
						return lwm2m.Node{}, false, badField("id", "must be an instance id 0..%d", lwm2m.MaxID)
					}
					id = &u
				default:
					return lwm2m.Node{}, false, badField(k, "unknown member")
				}
			}
		}
	}
	if create {
		inst := uint16(0)
		if id != nil {
			inst = *id
		}
		n, err := vp.instance(field, p.Child(inst), x)
		return n, id != nil, err
	}
	switch p.Len() {
	case 2:
		n, err := vp.instance(field, p, x)
		return n, false, err
	case 3:
		n, err := vp.resource(field, p, x, explicit)
		return n, false, err
	case 4:
		v, err := vp.leaf(field, p, x, explicit)
		return lwm2m.NewResourceInstance(p.Last(), v), false, err
	}
	return lwm2m.Node{}, false, badPathField("path", p.String(), "a write needs an instance, resource or resource-instance path")
}

// typedNode decodes lwm2m's JSON node form and coerces its leaves to the
// model's types.
func (vp valueParser) typedNode(p lwm2m.Path, body []byte, create, hasID bool) (lwm2m.Node, bool, error) {
	var n lwm2m.Node
	if err := json.Unmarshal(body, &n); err != nil {
		return lwm2m.Node{}, false, badField("body", "%s", trimValueErr(err))
	}
	at := p
	if create {
		if n.Kind != lwm2m.KindInstance {
			return lwm2m.Node{}, false, badField("kind", "a Create takes an object instance, not a %s", n.Kind)
		}
		at = p.Child(n.ID)
	}
	if err := n.Validate(at); err != nil {
		return lwm2m.Node{}, false, badPathField("body", at.String(), "%s", trimNodeErr(err))
	}
	if err := vp.coerce("body", at, &n); err != nil {
		return lwm2m.Node{}, false, err
	}
	n.Sort()
	return n, hasID, nil
}

// coerce converts the leaves of n (living at p) to the model's types.
func (vp valueParser) coerce(field string, p lwm2m.Path, n *lwm2m.Node) error {
	if n.IsLeaf() {
		rm, ok := vp.resourceModel(p)
		if !ok || n.Value.Type() == rm.Type {
			return nil
		}
		if rm.Type == lwm2m.TypeNone {
			return badPathField(field, p.String(), "%s is executable and holds no value", describe(rm))
		}
		v, err := n.Value.Convert(rm.Type)
		if err != nil {
			return badPathField(field, p.String(), "%s expects %s: %s", describe(rm), rm.Type, trimValueErr(err))
		}
		n.Value = v
		return nil
	}
	for i := range n.Children {
		c := &n.Children[i]
		if err := vp.coerce(field, p.Child(c.ID), c); err != nil {
			return err
		}
	}
	return nil
}

// instance parses {"<resource id>": X, …} as the instance at p.
func (vp valueParser) instance(field string, p lwm2m.Path, raw json.RawMessage) (lwm2m.Node, error) {
	m, err := idMap(field, p, raw, "an object keyed by resource id")
	if err != nil {
		return lwm2m.Node{}, err
	}
	n := lwm2m.NewInstance(p.Last())
	for _, e := range m {
		c, err := vp.resource(joinField(field, e.key), p.Child(e.id), e.raw, nil)
		if err != nil {
			return lwm2m.Node{}, err
		}
		n.Children = append(n.Children, c)
	}
	return n, nil
}

// resource parses X at resource path p: one value, or for a multiple
// resource an object keyed by instance id or an array.
func (vp valueParser) resource(field string, p lwm2m.Path, raw json.RawMessage, explicit *lwm2m.Type) (lwm2m.Node, error) {
	raw = bytes.TrimSpace(raw)
	rm, known := vp.resourceModel(p)
	composite := len(raw) > 0 && (raw[0] == '[' || raw[0] == '{' && !isTypedLeaf(raw))
	switch {
	case known && rm.Multiple && !composite:
		return lwm2m.Node{}, badPathField(field, p.String(), "%s is a multiple resource: give {\"<instance id>\": value, …} or an array", describe(rm))
	case known && !rm.Multiple && composite:
		return lwm2m.Node{}, badPathField(field, p.String(), "%s is a single-instance resource: give one value", describe(rm))
	case !composite:
		v, err := vp.leaf(field, p, raw, explicit)
		return lwm2m.NewResource(p.Last(), v), err
	}
	n := lwm2m.NewMultipleResource(p.Last())
	if raw[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return lwm2m.Node{}, badPathField(field, p.String(), "malformed array")
		}
		if len(arr) > lwm2m.MaxID+1 {
			return lwm2m.Node{}, badPathField(field, p.String(), "too many instances")
		}
		for i, e := range arr {
			ri := p.Child(uint16(i))
			v, err := vp.leaf(field+"["+strconv.Itoa(i)+"]", ri, e, explicit)
			if err != nil {
				return lwm2m.Node{}, err
			}
			n.Children = append(n.Children, lwm2m.NewResourceInstance(uint16(i), v))
		}
		return n, nil
	}
	m, err := idMap(field, p, raw, "an object keyed by resource-instance id")
	if err != nil {
		return lwm2m.Node{}, err
	}
	for _, e := range m {
		v, err := vp.leaf(joinField(field, e.key), p.Child(e.id), e.raw, explicit)
		if err != nil {
			return lwm2m.Node{}, err
		}
		n.Children = append(n.Children, lwm2m.NewResourceInstance(e.id, v))
	}
	return n, nil
}

// isTypedLeaf reports whether an object is {"type":…, "value":…}.
func isTypedLeaf(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, hasType := m["type"]
	return hasType && len(m) <= 2
}

type idEntry struct {
	key string
	id  uint16
	raw json.RawMessage
}

// idMap decodes an object whose member names are LwM2M ids, sorted by id.
func idMap(field string, p lwm2m.Path, raw json.RawMessage, want string) ([]idEntry, error) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, badPathField(fieldOrBody(field), p.String(), "expected %s", want)
	}
	out := make([]idEntry, 0, len(m))
	for k, v := range m {
		q, err := lwm2m.ParsePath("/" + k)
		if err != nil || q.Len() != 1 {
			return nil, badPathField(joinField(field, k), p.String(), "member name must be an id 0..%d", lwm2m.MaxID)
		}
		out = append(out, idEntry{key: k, id: q.Object(), raw: v})
	}
	slices.SortFunc(out, func(a, b idEntry) int { return int(a.id) - int(b.id) })
	return out, nil
}

func fieldOrBody(f string) string {
	if f == "" {
		return "body"
	}
	return f
}

// trimNodeErr drops lwm2m's "invalid node: " prefix.
func trimNodeErr(err error) string {
	s := err.Error()
	if rest, ok := bytes.CutPrefix([]byte(s), []byte(lwm2m.ErrInvalidNode.Error()+": ")); ok {
		return string(rest)
	}
	return s
}
