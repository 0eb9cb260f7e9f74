package client

import (
	"fmt"
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Resource is one resource of an instance: a single value, or resource
// instances when Multiple.
type Resource struct {
	ID        uint16
	Multiple  bool
	Value     lwm2m.Value
	Instances []ResourceInstance // sorted by ID
}

// ResourceInstance is one value of a multiple resource.
type ResourceInstance struct {
	ID    uint16
	Value lwm2m.Value
}

// Instance is one object instance with its resources, sorted by ID.
type Instance struct {
	ID        uint16
	Resources []Resource
}

// Resource returns the resource with the given id.
func (in *Instance) Resource(id uint16) (*Resource, bool) {
	i, ok := slices.BinarySearchFunc(in.Resources, id, func(r Resource, id uint16) int { return int(r.ID) - int(id) })
	if !ok {
		return nil, false
	}
	return &in.Resources[i], true
}

// set stores r, replacing a resource with the same id.
func (in *Instance) set(r Resource) {
	i, ok := slices.BinarySearchFunc(in.Resources, r.ID, func(r Resource, id uint16) int { return int(r.ID) - int(id) })
	if ok {
		in.Resources[i] = r
		return
	}
	in.Resources = slices.Insert(in.Resources, i, r)
}

func (in *Instance) remove(id uint16) {
	in.Resources = slices.DeleteFunc(in.Resources, func(r Resource) bool { return r.ID == id })
}

// Hooks give an object its device-side behaviour. Every hook is called with
// the client's lock held and must not block.
type Hooks struct {
	// Execute runs executable resource res of instance inst.
	Execute func(inst, res uint16, args string) error
	// CheckWrite vets a value a server writes, after the model checks and
	// before anything is stored; return a *lwm2m.Status to refuse it.
	CheckWrite func(inst, res uint16, v lwm2m.Value) error
	// Written runs after a server changed resources of inst (Write, Create,
	// Write-Composite, Bootstrap-Write).
	Written func(inst uint16, res []uint16)
	// Defaults returns a new instance with its read-only and default values,
	// used by Create before the payload is applied.
	Defaults func(id uint16) Instance
	// Deleted runs after instance inst was deleted by a server.
	Deleted func(inst uint16)
}

// Object is one object a device carries: the model it follows, its
// instances and its behaviour.
type Object struct {
	Model     *lwm2m.ObjectModel
	Instances []*Instance // sorted by ID
	Hooks     Hooks
}

// Instance returns the instance with the given id.
func (o *Object) Instance(id uint16) (*Instance, bool) {
	i, ok := slices.BinarySearchFunc(o.Instances, id, func(in *Instance, id uint16) int { return int(in.ID) - int(id) })
	if !ok {
		return nil, false
	}
	return o.Instances[i], true
}

func (o *Object) addInstance(in *Instance) {
	i, ok := slices.BinarySearchFunc(o.Instances, in.ID, func(x *Instance, id uint16) int { return int(x.ID) - int(id) })
	if ok {
		o.Instances[i] = in
		return
	}
	o.Instances = slices.Insert(o.Instances, i, in)
}

func (o *Object) removeInstance(id uint16) bool {
	n := len(o.Instances)
	o.Instances = slices.DeleteFunc(o.Instances, func(in *Instance) bool { return in.ID == id })
	return len(o.Instances) != n
}

// freeInstanceID returns the lowest unused instance id.
func (o *Object) freeInstanceID() (uint16, bool) {
	var id uint16
	for _, in := range o.Instances {
		if in.ID != id {
			break
		}
		id++
	}
	return id, id <= lwm2m.MaxID
}

// Tree is a device's data: its objects, checked against their models, and
// the notification attributes written to its paths. A Tree is not safe for
// concurrent use; the Client guards it.
type Tree struct {
	objects []*Object // sorted by model id
	attrs   map[lwm2m.Path]lwm2m.Attributes
	// changed is told about every path whose value, or set of instances,
	// changed (observations listen here).
	changed func(p lwm2m.Path)
	// structure is told when instances are created or deleted (the
	// registration's object list changes).
	structure func()
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{} }

// AddObject adds o; a second object with the same id is an error.
func (t *Tree) AddObject(o *Object) error {
	if o.Model == nil {
		return fmt.Errorf("%w: object without a model", ErrConfig)
	}
	i, ok := slices.BinarySearchFunc(t.objects, o.Model.ID, func(x *Object, id uint16) int { return int(x.Model.ID) - int(id) })
	if ok {
		return fmt.Errorf("%w: object %d added twice", ErrConfig, o.Model.ID)
	}
	for _, in := range o.Instances {
		addExecutables(o, in)
	}
	t.objects = slices.Insert(t.objects, i, o)
	return nil
}

// addExecutables gives in an empty resource for every executable resource
// of the model, so reads refuse them with 4.05 and Discover lists them.
func addExecutables(o *Object, in *Instance) {
	for _, rm := range o.Model.Resources {
		if rm.Operations.Executable() {
			if _, ok := in.Resource(rm.ID); !ok {
				in.set(Resource{ID: rm.ID})
			}
		}
	}
}

// Object returns the object with the given id.
func (t *Tree) Object(id uint16) (*Object, bool) {
	i, ok := slices.BinarySearchFunc(t.objects, id, func(x *Object, id uint16) int { return int(x.Model.ID) - int(id) })
	if !ok {
		return nil, false
	}
	return t.objects[i], true
}

// Objects returns the objects in id order (the slice is the tree's own).
func (t *Tree) Objects() []*Object { return t.objects }

func (t *Tree) notify(p lwm2m.Path) {
	if t.changed != nil {
		t.changed(p)
	}
}

func (t *Tree) structureChanged() {
	if t.structure != nil {
		t.structure()
	}
}

// resolve finds what p names. It fails with 4.04 for anything missing.
func (t *Tree) resolve(p lwm2m.Path) (*Object, *Instance, *Resource, error) {
	if p.IsRoot() {
		return nil, nil, nil, nil
	}
	o, ok := t.Object(p.Object())
	if !ok {
		return nil, nil, nil, lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	if p.Len() == 1 {
		return o, nil, nil, nil
	}
	in, ok := o.Instance(p.Instance())
	if !ok {
		return o, nil, nil, lwm2m.Errorf(lwm2m.CodeNotFound, "%s does not exist", p.Truncate(2))
	}
	if p.Len() == 2 {
		return o, in, nil, nil
	}
	if _, known := o.Model.Resource(p.Resource()); !known {
		return o, in, nil, lwm2m.Errorf(lwm2m.CodeNotFound, "%s is not defined by object %d", p.Truncate(3), p.Object())
	}
	r, ok := in.Resource(p.Resource())
	if !ok {
		return o, in, nil, lwm2m.Errorf(lwm2m.CodeNotFound, "%s is not present", p.Truncate(3))
	}
	if p.Len() == 4 {
		if !r.Multiple {
			return o, in, r, lwm2m.Errorf(lwm2m.CodeNotFound, "%s is a single-instance resource", p.Truncate(3))
		}
		if _, ok := findRI(r.Instances, p.ResourceInstance()); !ok {
			return o, in, r, lwm2m.Errorf(lwm2m.CodeNotFound, "%s does not exist", p)
		}
	}
	return o, in, r, nil
}

func findRI(ris []ResourceInstance, id uint16) (int, bool) {
	return slices.BinarySearchFunc(ris, id, func(r ResourceInstance, id uint16) int { return int(r.ID) - int(id) })
}

// Exists reports whether p names something in the tree.
func (t *Tree) Exists(p lwm2m.Path) bool {
	_, _, _, err := t.resolve(p)
	return err == nil
}
