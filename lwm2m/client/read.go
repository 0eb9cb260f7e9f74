package client

import (
	"github.com/shoal-iot/shoal/lwm2m"
)

// hidden reports whether a management server may not see object id: the
// Security (0) and OSCORE (21) objects belong to bootstrap only (Core TS
// 1.1 §6.2.1, E.1).
func hidden(id uint16) bool { return id == 0 || id == 21 }

// Read returns the node at p (an object, instance, resource or resource
// instance). A management server gets 4.01 on the Security object, 4.04 for
// anything missing and 4.05 on a resource that is not readable; instances
// and objects leave unreadable resources out.
func (t *Tree) Read(p lwm2m.Path, who access) (lwm2m.Node, error) {
	if p.IsRoot() {
		return lwm2m.Node{}, lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "read of the root is not defined")
	}
	if who == byServer && hidden(p.Object()) {
		return lwm2m.Node{}, lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object())
	}
	o, in, r, err := t.resolve(p)
	if err != nil {
		return lwm2m.Node{}, err
	}
	switch p.Len() {
	case 1:
		n := lwm2m.NewObject(o.Model.ID)
		for _, in := range o.Instances {
			n.Children = append(n.Children, instanceNode(o, in, who))
		}
		return n, nil
	case 2:
		return instanceNode(o, in, who), nil
	}
	rm, _ := o.Model.Resource(p.Resource())
	if !canRead(rm, who) {
		return lwm2m.Node{}, lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s is not readable", p.Truncate(3))
	}
	if p.Len() == 4 {
		i, _ := findRI(r.Instances, p.ResourceInstance())
		return lwm2m.NewResourceInstance(r.Instances[i].ID, r.Instances[i].Value), nil
	}
	return resourceNode(r), nil
}

func instanceNode(o *Object, in *Instance, who access) lwm2m.Node {
	n := lwm2m.NewInstance(in.ID)
	n.Children = make([]lwm2m.Node, 0, len(in.Resources))
	for i := range in.Resources {
		r := &in.Resources[i]
		rm, ok := o.Model.Resource(r.ID)
		if !ok || !canRead(rm, who) {
			continue
		}
		n.Children = append(n.Children, resourceNode(r))
	}
	return n
}

func resourceNode(r *Resource) lwm2m.Node {
	if !r.Multiple {
		return lwm2m.NewResource(r.ID, r.Value)
	}
	n := lwm2m.NewMultipleResource(r.ID)
	n.Children = make([]lwm2m.Node, len(r.Instances))
	for i, ri := range r.Instances {
		n.Children[i] = lwm2m.NewResourceInstance(ri.ID, ri.Value)
	}
	return n
}

// Value returns the value at a resource or resource-instance path, as the
// device sees it (no access checks).
func (t *Tree) Value(p lwm2m.Path) (lwm2m.Value, bool) {
	if p.Len() < 3 {
		return lwm2m.Value{}, false
	}
	_, _, r, err := t.resolve(p)
	if err != nil {
		return lwm2m.Value{}, false
	}
	if p.Len() == 4 {
		i, _ := findRI(r.Instances, p.ResourceInstance())
		return r.Instances[i].Value, true
	}
	if r.Multiple {
		return lwm2m.Value{}, false
	}
	return r.Value, true
}

// canRead: a management server reads what the model marks readable; the
// bootstrap server and the device read every value (not executables).
func canRead(rm *lwm2m.ResourceModel, who access) bool {
	if rm.Operations.Executable() || rm.Type == lwm2m.TypeNone {
		return false
	}
	return who != byServer || rm.Operations.Readable()
}
