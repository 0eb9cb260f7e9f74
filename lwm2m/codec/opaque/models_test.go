package opaque

import "github.com/shoal-iot/shoal/lwm2m"

// testModels stands in for package objects: the Firmware Update object's
// package resource and a test object with typed resources.
type testModels map[uint16]*lwm2m.ObjectModel

func (m testModels) Object(id uint16, _ string) (*lwm2m.ObjectModel, bool) {
	o, ok := m[id]
	return o, ok
}

var models = testModels{
	5: {ID: 5, Name: "Firmware Update", Resources: []lwm2m.ResourceModel{
		{ID: 0, Name: "Package", Type: lwm2m.TypeOpaque, Operations: lwm2m.OpsWrite},
		{ID: 1, Name: "Package URI", Type: lwm2m.TypeString, Operations: lwm2m.OpsRead | lwm2m.OpsWrite},
		{ID: 2, Name: "Update", Type: lwm2m.TypeNone, Operations: lwm2m.OpsExecute},
	}},
	65000: {ID: 65000, Name: "Types", Resources: []lwm2m.ResourceModel{
		{ID: 0, Type: lwm2m.TypeString},
		{ID: 10, Type: lwm2m.TypeOpaque, Multiple: true},
	}},
}
