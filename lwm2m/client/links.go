package client

import (
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// formatLinks renders Discover answers in CoRE link format.
func formatLinks(links []lwm2m.Link) []byte { return linkformat.Format(links) }

// registrationPayload lists the objects and instances for Register and
// Update (Core TS 1.1 §6.2.1): the root link, then every object but
// Security and OSCORE with ver when its version is not 1.0, then its
// instances; an object without instances appears alone.
func (t *Tree) registrationPayload() []byte {
	var r linkformat.Registration
	for _, o := range t.objects {
		if hidden(o.Model.ID) {
			continue
		}
		v := o.Model.Version
		if v == "1.0" {
			v = ""
		}
		if v != "" || len(o.Instances) == 0 {
			r.Objects = append(r.Objects, linkformat.ObjectLink{Path: lwm2m.ObjectPath(o.Model.ID), Version: v})
		}
		for _, in := range o.Instances {
			r.Objects = append(r.Objects, linkformat.ObjectLink{Path: lwm2m.InstancePath(o.Model.ID, in.ID)})
		}
	}
	return linkformat.FormatRegistration(r)
}
