package lwjson

import "github.com/shoal-iot/shoal/lwm2m"

// testModels stands in for package objects: resource types of the Server,
// Device, Firmware Update and Temperature objects as the OMA DDF files in
// shared/lwm2m-registry give them, plus a test object with one resource of
// every type (Corelnk appears in no standard object on disk).
type testModels map[uint16]*lwm2m.ObjectModel

func (m testModels) Object(id uint16, _ string) (*lwm2m.ObjectModel, bool) {
	o, ok := m[id]
	return o, ok
}

func res(id uint16, t lwm2m.Type, multiple bool) lwm2m.ResourceModel {
	return lwm2m.ResourceModel{ID: id, Type: t, Multiple: multiple}
}

var models = testModels{
	1: {ID: 1, Name: "LwM2M Server", Multiple: true, Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeInteger, false), res(1, lwm2m.TypeInteger, false),
		res(6, lwm2m.TypeBoolean, false), res(7, lwm2m.TypeString, false),
		res(10, lwm2m.TypeObjlnk, false), res(11, lwm2m.TypeUnsigned, false),
		res(12, lwm2m.TypeTime, false), res(24, lwm2m.TypeObjlnk, true),
	}},
	3: {ID: 3, Name: "Device", Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeString, false), res(1, lwm2m.TypeString, false),
		res(2, lwm2m.TypeString, false), res(3, lwm2m.TypeString, false),
		res(4, lwm2m.TypeNone, false), res(5, lwm2m.TypeNone, false),
		res(6, lwm2m.TypeInteger, true), res(7, lwm2m.TypeInteger, true),
		res(8, lwm2m.TypeInteger, true), res(9, lwm2m.TypeInteger, false),
		res(10, lwm2m.TypeInteger, false), res(11, lwm2m.TypeInteger, true),
		res(12, lwm2m.TypeNone, false), res(13, lwm2m.TypeTime, false),
		res(14, lwm2m.TypeString, false), res(15, lwm2m.TypeString, false),
		res(16, lwm2m.TypeString, false), res(17, lwm2m.TypeString, false),
		res(18, lwm2m.TypeString, false), res(19, lwm2m.TypeString, false),
		res(20, lwm2m.TypeInteger, false), res(21, lwm2m.TypeInteger, false),
		res(22, lwm2m.TypeObjlnk, true),
	}},
	5: {ID: 5, Name: "Firmware Update", Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeOpaque, false), res(1, lwm2m.TypeString, false),
		res(2, lwm2m.TypeNone, false), res(3, lwm2m.TypeInteger, false),
		res(13, lwm2m.TypeUnsigned, false),
	}},
	3303: {ID: 3303, Name: "Temperature", Multiple: true, Resources: []lwm2m.ResourceModel{
		res(5518, lwm2m.TypeTime, false), res(5700, lwm2m.TypeFloat, false),
		res(5701, lwm2m.TypeString, false),
	}},
	65000: {ID: 65000, Name: "Types", Multiple: true, Resources: []lwm2m.ResourceModel{
		res(0, lwm2m.TypeString, false), res(1, lwm2m.TypeInteger, false),
		res(2, lwm2m.TypeUnsigned, false), res(3, lwm2m.TypeFloat, false),
		res(4, lwm2m.TypeBoolean, false), res(5, lwm2m.TypeOpaque, false),
		res(6, lwm2m.TypeTime, false), res(7, lwm2m.TypeObjlnk, false),
		res(8, lwm2m.TypeCorelnk, false), res(9, lwm2m.TypeNone, false),
		res(10, lwm2m.TypeOpaque, true),
	}},
}

// usesTestObject reports whether any record lies in test object 65000,
// which only testModels knows.
func usesTestObject(recs []lwm2m.Record) bool {
	for _, r := range recs {
		if r.Path.Object() == 65000 {
			return true
		}
	}
	return false
}
