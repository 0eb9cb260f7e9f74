package client

import (
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Create adds an instance to object p (Core TS 1.1 §6.3.6). id is the
// instance id the server asked for, or -1 for "let the device choose".
// res are the payload's resource nodes; Hooks.Defaults fills the rest. It
// fails with 4.04 for an unknown object, 4.00 for an id in use, for a
// second instance of a single-instance object, for a missing mandatory
// resource or a bad value, and 4.05 for a resource the server may not
// write.
func (t *Tree) Create(p lwm2m.Path, id int, res []lwm2m.Node, who access) (lwm2m.Path, error) {
	if !p.IsObject() {
		return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "create needs an object path")
	}
	if who == byServer && hidden(p.Object()) {
		return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	o, ok := t.Object(p.Object())
	if !ok {
		return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	if !o.Model.Multiple && len(o.Instances) > 0 {
		return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "object %d is single-instance and has its instance", p.Object())
	}
	if id < 0 {
		free, ok := o.freeInstanceID()
		if !ok {
			return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeInternalServerError, "object %d has no free instance id", p.Object())
		}
		id = int(free)
	} else if id > lwm2m.MaxID {
		return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "instance id %d is reserved", id)
	} else if _, taken := o.Instance(uint16(id)); taken {
		return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s already exists", lwm2m.InstancePath(p.Object(), uint16(id)))
	}
	base := &Instance{ID: uint16(id)}
	if o.Hooks.Defaults != nil {
		d := o.Hooks.Defaults(uint16(id))
		d.ID = uint16(id)
		base = &d
	}
	for i := range res {
		if err := res[i].Validate(lwm2m.ResourcePath(p.Object(), uint16(id), res[i].ID)); err != nil {
			return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "%v", err)
		}
	}
	s, ids, err := t.stageInstance(o, base, uint16(id), res, false, who)
	if err != nil {
		return lwm2m.Path{}, err
	}
	for _, rm := range o.Model.Resources {
		if rm.Mandatory && rm.Type != lwm2m.TypeNone && !rm.Operations.Executable() {
			if _, ok := s.Resource(rm.ID); !ok {
				return lwm2m.Path{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: mandatory resource missing",
					lwm2m.ResourcePath(p.Object(), uint16(id), rm.ID))
			}
		}
	}
	t.commit(o, s, ids, who)
	return lwm2m.InstancePath(p.Object(), uint16(id)), nil
}

// Delete removes an instance (Core TS 1.1 §6.3.7): 4.05 on anything but an
// instance path, 4.04 when it does not exist, 4.05 for the instance of a
// mandatory single-instance object (Device). The bootstrap server may also
// delete "/" and whole objects (§6.1.7.5): everything except its own
// Security instance and the Device object goes.
func (t *Tree) Delete(p lwm2m.Path, who access) error {
	if who == byBootstrap {
		return t.bootstrapDelete(p)
	}
	if !p.IsInstance() {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "delete needs an instance path")
	}
	if who == byServer && hidden(p.Object()) {
		return lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	o, _, _, err := t.resolve(p)
	if err != nil {
		return err
	}
	if o.Model.Mandatory && !o.Model.Multiple {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s cannot be deleted", p)
	}
	t.deleteInstance(o, p.Instance(), who)
	return nil
}

func (t *Tree) deleteInstance(o *Object, id uint16, who access) {
	o.removeInstance(id)
	t.forgetAttrs(lwm2m.InstancePath(o.Model.ID, id))
	t.notify(lwm2m.InstancePath(o.Model.ID, id))
	t.structureChanged()
	if who != byDevice && o.Hooks.Deleted != nil {
		o.Hooks.Deleted(id)
	}
}

// isBootstrapAccount reports whether instance in of the Security object
// describes the bootstrap server (/0/x/1 true).
func isBootstrapAccount(in *Instance) bool {
	r, ok := in.Resource(1)
	return ok && r.Value.Bool()
}

func (t *Tree) bootstrapDelete(p lwm2m.Path) error {
	if p.Len() > 2 {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "bootstrap delete needs /, an object or an instance")
	}
	for _, o := range t.objects {
		if p.Len() >= 1 && o.Model.ID != p.Object() {
			continue
		}
		if o.Model.ID == 3 {
			if p.Len() >= 1 {
				return lwm2m.Errorf(lwm2m.CodeBadRequest, "the Device object cannot be deleted")
			}
			continue
		}
		ids := make([]uint16, 0, len(o.Instances))
		for _, in := range o.Instances {
			if p.Len() == 2 && in.ID != p.Instance() {
				continue
			}
			if o.Model.ID == 0 && isBootstrapAccount(in) {
				if p.Len() == 2 {
					return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s is the bootstrap server account", p)
				}
				continue
			}
			ids = append(ids, in.ID)
		}
		if p.Len() == 2 && len(ids) == 0 {
			return lwm2m.Errorf(lwm2m.CodeNotFound, "%s does not exist", p)
		}
		for _, id := range ids {
			t.deleteInstance(o, id, byBootstrap)
		}
	}
	if p.Len() >= 1 {
		if _, ok := t.Object(p.Object()); !ok {
			return lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
		}
	}
	return nil
}

// Execute runs the executable resource at p with its argument string
// (Core TS 1.1 §6.3.5): 4.05 unless p names an executable resource, 4.04
// when it is missing, 4.00 for malformed arguments.
func (t *Tree) Execute(p lwm2m.Path, args string, who access) error {
	if !p.IsResource() {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "execute needs a resource path")
	}
	if who == byServer && hidden(p.Object()) {
		return lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	o, ok := t.Object(p.Object())
	if !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	if _, ok := o.Instance(p.Instance()); !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "%s does not exist", p.Truncate(2))
	}
	rm, ok := o.Model.Resource(p.Resource())
	if !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "%s is not defined by object %d", p, p.Object())
	}
	if !rm.Operations.Executable() {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s is not executable", p)
	}
	if _, err := ParseExecArgs(args); err != nil {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: %v", p, err)
	}
	if o.Hooks.Execute == nil {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s has no behaviour on this device", p)
	}
	return o.Hooks.Execute(p.Instance(), p.Resource(), args)
}

// ParseExecArgs parses Execute arguments (Core TS 1.1 §5.4.5):
// arg *("," arg), arg = DIGIT ["=" "'" *CHAR "'"], where CHAR excludes
// the quote characters. It returns the values by argument number ("" when
// an argument has no value). Errors name the byte offset.
func ParseExecArgs(s string) (map[int]string, error) {
	out := map[int]string{}
	if s == "" {
		return out, nil
	}
	i := 0
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return nil, fmt.Errorf("execute arguments: offset %d: expected an argument digit", i)
		}
		n := int(s[i] - '0')
		if _, dup := out[n]; dup {
			return nil, fmt.Errorf("execute arguments: offset %d: argument %d given twice", i, n)
		}
		i++
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			if i >= len(s) || s[i] != '\'' {
				return nil, fmt.Errorf("execute arguments: offset %d: value must be quoted with '", i)
			}
			i++
			start := i
			for i < len(s) && s[i] != '\'' {
				c := s[i]
				if c < 0x21 || c == '"' || c > 0x7e {
					return nil, fmt.Errorf("execute arguments: offset %d: character 0x%02x not allowed in a value", i, c)
				}
				i++
			}
			if i >= len(s) {
				return nil, fmt.Errorf("execute arguments: offset %d: unterminated value", start-1)
			}
			val = s[start:i]
			i++
		}
		out[n] = val
		if i == len(s) {
			return out, nil
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("execute arguments: offset %d: expected ','", i)
		}
		i++
	}
}
