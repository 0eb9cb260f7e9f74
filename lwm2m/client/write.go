package client

import (
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Write stores node n at p. With replace (CoAP PUT) an instance loses its
// optional writable resources the payload leaves out and a multiple
// resource loses the instances it leaves out; without it (partial update,
// CoAP POST) resources and resource instances are added or replaced. All of
// it is checked against the model first and nothing changes unless all of
// it passes: 4.04 for what the object lacks, 4.05 for a resource that is
// not writable, 4.00 for a value of the wrong type, outside the model's
// range or of the wrong multiplicity. A management server cannot write the
// Security object (4.01) nor a whole object (4.05); the bootstrap server
// can, and it writes read-only resources and creates missing instances.
func (t *Tree) Write(p lwm2m.Path, n *lwm2m.Node, replace bool, who access) error {
	if who == byServer && hidden(p.Object()) {
		return lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	if p.IsRoot() || (p.Len() == 1 && who == byServer) {
		return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "write needs an instance, resource or resource-instance path")
	}
	if err := n.Validate(p); err != nil {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "%v", err)
	}
	o, ok := t.Object(p.Object())
	if !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	if p.Len() == 1 {
		staged := make([]*Instance, 0, len(n.Children))
		var changed [][]uint16
		for i := range n.Children {
			in, _ := o.Instance(n.Children[i].ID)
			s, ids, err := t.stageInstance(o, in, n.Children[i].ID, n.Children[i].Children, replace, who)
			if err != nil {
				return err
			}
			staged = append(staged, s)
			changed = append(changed, ids)
		}
		for i, s := range staged {
			t.commit(o, s, changed[i], who)
		}
		return nil
	}
	in, ok := o.Instance(p.Instance())
	if !ok && who == byServer {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "%s does not exist", p.Truncate(2))
	}
	var children []lwm2m.Node
	switch p.Len() {
	case 2:
		children = n.Children
	case 3:
		children = []lwm2m.Node{*n}
	case 4:
		rm, known := o.Model.Resource(p.Resource())
		if !known {
			return lwm2m.Errorf(lwm2m.CodeNotFound, "%s is not defined by object %d", p.Truncate(3), p.Object())
		}
		if !rm.Multiple {
			return lwm2m.Errorf(lwm2m.CodeNotFound, "%s is a single-instance resource", p.Truncate(3))
		}
		// A resource-instance write adds or replaces that one instance.
		children = []lwm2m.Node{lwm2m.NewMultipleResource(p.Resource(), *n)}
		replace = false
	}
	id := p.Instance()
	s, ids, err := t.stageInstance(o, in, id, children, replace && p.Len() == 2, who)
	if err != nil {
		return err
	}
	if replace && p.Len() == 3 {
		// Replacing one multiple resource drops instances the payload omits:
		// stageInstance merged, so put the payload's version in place.
		r, _ := s.Resource(p.Resource())
		if r.Multiple {
			fresh, err := t.coerce(o, id, r.ID, n, who)
			if err != nil {
				return err
			}
			s.set(fresh)
		}
	}
	t.commit(o, s, ids, who)
	return nil
}

// stageInstance returns a copy of in (or a new instance id) with the
// resource nodes applied, and the ids of the resources it touched.
func (t *Tree) stageInstance(o *Object, in *Instance, id uint16, res []lwm2m.Node, replace bool, who access) (*Instance, []uint16, error) {
	s := &Instance{ID: id}
	if in != nil {
		s.Resources = slices.Clone(in.Resources)
	}
	var ids []uint16
	if replace && in != nil {
		for _, r := range in.Resources {
			rm, _ := o.Model.Resource(r.ID)
			if rm == nil || rm.Mandatory || !(rm.Operations.Writable() || who != byServer) || rm.Type == lwm2m.TypeNone {
				continue
			}
			if !slices.ContainsFunc(res, func(n lwm2m.Node) bool { return n.ID == r.ID }) {
				s.remove(r.ID)
				ids = append(ids, r.ID)
			}
		}
	}
	for i := range res {
		c := &res[i]
		r, err := t.coerce(o, id, c.ID, c, who)
		if err != nil {
			return nil, nil, err
		}
		if old, ok := s.Resource(c.ID); ok && r.Multiple && !replace {
			r.Instances = mergeRI(old.Instances, r.Instances)
		}
		s.set(r)
		ids = append(ids, c.ID)
	}
	return s, ids, nil
}

func mergeRI(old, add []ResourceInstance) []ResourceInstance {
	out := slices.Clone(old)
	for _, a := range add {
		if i, ok := findRI(out, a.ID); ok {
			out[i] = a
		} else {
			out = slices.Insert(out, i, a)
		}
	}
	return out
}

// coerce checks resource node n against the model and returns it as a
// Resource with values converted to the model's type.
func (t *Tree) coerce(o *Object, inst, id uint16, n *lwm2m.Node, who access) (Resource, error) {
	p := lwm2m.ResourcePath(o.Model.ID, inst, id)
	rm, ok := o.Model.Resource(id)
	if !ok {
		return Resource{}, lwm2m.Errorf(lwm2m.CodeNotFound, "%s is not defined by object %d", p, o.Model.ID)
	}
	if rm.Type == lwm2m.TypeNone || rm.Operations.Executable() {
		return Resource{}, lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s is executable, not writable", p)
	}
	if who == byServer && !rm.Operations.Writable() {
		return Resource{}, lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s is not writable", p)
	}
	if rm.Multiple != (n.Kind == lwm2m.KindMultipleResource) {
		if rm.Multiple {
			return Resource{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s is a multiple-instance resource", p)
		}
		return Resource{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s is a single-instance resource", p)
	}
	r := Resource{ID: id, Multiple: rm.Multiple}
	if !rm.Multiple {
		v, err := t.checkValue(o, inst, rm, p, n.Value, who)
		if err != nil {
			return Resource{}, err
		}
		r.Value = v
		return r, nil
	}
	r.Instances = make([]ResourceInstance, 0, len(n.Children))
	for i := range n.Children {
		c := &n.Children[i]
		v, err := t.checkValue(o, inst, rm, p.Child(c.ID), c.Value, who)
		if err != nil {
			return Resource{}, err
		}
		r.Instances = append(r.Instances, ResourceInstance{ID: c.ID, Value: v})
	}
	slices.SortFunc(r.Instances, func(a, b ResourceInstance) int { return int(a.ID) - int(b.ID) })
	return r, nil
}

func (t *Tree) checkValue(o *Object, inst uint16, rm *lwm2m.ResourceModel, p lwm2m.Path, v lwm2m.Value, who access) (lwm2m.Value, error) {
	if v.IsNone() {
		return v, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: no value", p)
	}
	cv, err := v.Convert(rm.Type)
	if err != nil {
		return v, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: %v", p, err)
	}
	if err := parseRange(rm.Range).check(cv); err != nil {
		return v, lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: %v", p, err)
	}
	if who != byDevice && o.Hooks.CheckWrite != nil {
		if err := o.Hooks.CheckWrite(inst, rm.ID, cv); err != nil {
			return v, err
		}
	}
	return cv, nil
}

// commit puts staged instance s in place and tells hooks and observers.
func (t *Tree) commit(o *Object, s *Instance, ids []uint16, who access) {
	_, existed := o.Instance(s.ID)
	if in, ok := o.Instance(s.ID); ok {
		*in = *s
	} else {
		addExecutables(o, s)
		o.addInstance(s)
	}
	for _, id := range ids {
		t.notify(lwm2m.ResourcePath(o.Model.ID, s.ID, id))
	}
	if !existed {
		t.notify(lwm2m.InstancePath(o.Model.ID, s.ID))
		t.structureChanged()
	}
	if who != byDevice && o.Hooks.Written != nil {
		o.Hooks.Written(s.ID, ids)
	}
}
