package objects

import "github.com/shoal-iot/shoal/lwm2m"

// Standard returns the standard object models compiled in from ddf/*.xml
// (the OMA LwM2M registry files listed in ddf/README.md), sorted by id and
// version. Every call builds a fresh slice the caller may keep or change.
func Standard() []lwm2m.ObjectModel { return standardModels() }

// Shorthands the generated table (standard_gen.go) is written in, to keep it
// small and readable.
type flags uint8

const (
	multiple  flags = 1 << iota // MultipleInstances = Multiple
	mandatory                   // Mandatory = Mandatory
)

const (
	opR  = lwm2m.OpsRead
	opW  = lwm2m.OpsWrite
	opRW = lwm2m.OpsRead | lwm2m.OpsWrite
	opE  = lwm2m.OpsExecute
)

// obj builds an object model; res its resources.
func obj(id uint16, name, urn, ver, lwm2mVer string, f flags, rs ...lwm2m.ResourceModel) lwm2m.ObjectModel {
	return lwm2m.ObjectModel{
		ID: id, Name: name, URN: urn, Version: ver, LwM2MVersion: lwm2mVer,
		Multiple: f&multiple != 0, Mandatory: f&mandatory != 0,
		Resources: rs,
	}
}

func res(id uint16, name string, ops lwm2m.Operations, f flags, t lwm2m.Type, rng, units string) lwm2m.ResourceModel {
	return lwm2m.ResourceModel{
		ID: id, Name: name, Operations: ops,
		Multiple: f&multiple != 0, Mandatory: f&mandatory != 0,
		Type: t, Range: rng, Units: units,
	}
}
