package client

import (
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Set stores v at a resource or resource-instance path on the device's own
// behalf: the type must fit the model (v is converted) and lie in range;
// read-only resources are fine. A missing optional resource is added.
func (t *Tree) Set(p lwm2m.Path, v lwm2m.Value) error {
	if p.Len() < 3 {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: a value needs a resource or resource-instance path", p)
	}
	o, ok := t.Object(p.Object())
	if !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	in, ok := o.Instance(p.Instance())
	if !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "%s does not exist", p.Truncate(2))
	}
	rm, ok := o.Model.Resource(p.Resource())
	if !ok {
		return lwm2m.Errorf(lwm2m.CodeNotFound, "%s is not defined by object %d", p.Truncate(3), p.Object())
	}
	if rm.Multiple != (p.Len() == 4) {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: resource multiplicity does not match the path", p)
	}
	cv, err := t.checkValue(o, p.Instance(), rm, p, v, byDevice)
	if err != nil {
		return err
	}
	r, ok := in.Resource(p.Resource())
	if !ok {
		in.set(Resource{ID: rm.ID, Multiple: rm.Multiple})
		r, _ = in.Resource(p.Resource())
	}
	if p.Len() == 3 {
		if r.Value.Equal(cv) {
			return nil
		}
		r.Value = cv
	} else {
		i, found := findRI(r.Instances, p.ResourceInstance())
		switch {
		case found && r.Instances[i].Value.Equal(cv):
			return nil
		case found:
			r.Instances[i].Value = cv
		default:
			r.Instances = slices.Insert(r.Instances, i, ResourceInstance{ID: p.ResourceInstance(), Value: cv})
		}
	}
	t.notify(p.Truncate(3))
	return nil
}
