package text

import "github.com/shoal-iot/shoal/lwm2m"

// testModels knows the Device object (3) and a test object 65000 with one
// resource of every type, enough to exercise type coercion until package
// objects is available.
type testModels map[uint16]*lwm2m.ObjectModel

func (m testModels) Object(id uint16, _ string) (*lwm2m.ObjectModel, bool) {
	o, ok := m[id]
	return o, ok
}

func res(id uint16, t lwm2m.Type, multiple bool) lwm2m.ResourceModel {
	return lwm2m.ResourceModel{ID: id, Type: t, Multiple: multiple, Operations: lwm2m.OpsRead | lwm2m.OpsWrite}
}

var models = testModels{
	3: {ID: 3, Name: "Device", Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeString, false), res(1, lwm2m.TypeString, false),
		res(2, lwm2m.TypeString, false), res(3, lwm2m.TypeString, false),
		{ID: 4, Type: lwm2m.TypeNone, Operations: lwm2m.OpsExecute},
		res(6, lwm2m.TypeInteger, true), res(7, lwm2m.TypeInteger, true),
		res(8, lwm2m.TypeInteger, true), res(9, lwm2m.TypeInteger, false),
		res(10, lwm2m.TypeInteger, false), res(11, lwm2m.TypeInteger, true),
		res(13, lwm2m.TypeTime, false), res(14, lwm2m.TypeString, false),
		res(16, lwm2m.TypeString, false),
	}},
	65000: {ID: 65000, Name: "Types", Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeString, false), res(1, lwm2m.TypeInteger, false),
		res(2, lwm2m.TypeUnsigned, false), res(3, lwm2m.TypeFloat, false),
		res(4, lwm2m.TypeBoolean, false), res(5, lwm2m.TypeOpaque, false),
		res(6, lwm2m.TypeTime, false), res(7, lwm2m.TypeObjlnk, false),
		res(8, lwm2m.TypeCorelnk, false),
	}},
}
