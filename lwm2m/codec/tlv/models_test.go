package tlv

import "github.com/shoal-iot/shoal/lwm2m"

// testModels stands in for package objects: the objects the golden vectors
// use, with the resource types the Core TS examples assume.
type testModels map[uint16]*lwm2m.ObjectModel

func (m testModels) Object(id uint16, _ string) (*lwm2m.ObjectModel, bool) {
	o, ok := m[id]
	return o, ok
}

func res(id uint16, t lwm2m.Type, multiple bool) lwm2m.ResourceModel {
	return lwm2m.ResourceModel{ID: id, Type: t, Multiple: multiple, Operations: lwm2m.OpsRead | lwm2m.OpsWrite}
}

var (
	str   = lwm2m.TypeString
	integ = lwm2m.TypeInteger
)

var models = testModels{
	1: {ID: 1, Name: "LwM2M Server", Multiple: true, Resources: []lwm2m.ResourceModel{
		res(0, integ, false), res(1, integ, false), res(6, lwm2m.TypeBoolean, false), res(7, str, false),
	}},
	2: {ID: 2, Name: "LwM2M Access Control", Multiple: true, Resources: []lwm2m.ResourceModel{
		res(0, integ, false), res(1, integ, false), res(2, integ, true), res(3, integ, false),
	}},
	3: {ID: 3, Name: "Device", Resources: []lwm2m.ResourceModel{
		res(0, str, false), res(1, str, false), res(2, str, false), res(3, str, false),
		{ID: 4, Type: lwm2m.TypeNone, Operations: lwm2m.OpsExecute},
		res(6, integ, true), res(7, integ, true), res(8, integ, true), res(9, integ, false),
		res(10, integ, false), res(11, integ, true), res(13, lwm2m.TypeTime, false),
		res(14, str, false), res(16, str, false),
	}},
	65: {ID: 65, Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeObjlnk, true), res(1, str, false), res(2, integ, false),
	}},
	66: {ID: 66, Multiple: true, Resources: []lwm2m.ResourceModel{
		res(0, str, false), res(1, str, false), res(2, lwm2m.TypeObjlnk, false),
	}},
	65000: {ID: 65000, Name: "Types", Resources: []lwm2m.ResourceModel{
		res(0, str, false), res(1, integ, false), res(2, lwm2m.TypeUnsigned, false),
		res(3, lwm2m.TypeFloat, false), res(4, lwm2m.TypeBoolean, false), res(5, lwm2m.TypeOpaque, false),
		res(6, lwm2m.TypeTime, false), res(7, lwm2m.TypeObjlnk, false), res(8, lwm2m.TypeCorelnk, false),
		res(9, lwm2m.TypeUnsigned, false), res(10, lwm2m.TypeFloat, false), res(11, lwm2m.TypeOpaque, true),
		{ID: 12, Type: lwm2m.TypeNone, Operations: lwm2m.OpsExecute},
		res(13, integ, false), res(14, integ, false),
	}},
}
