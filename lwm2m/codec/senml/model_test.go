package senml_test

import (
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// testModels is a hand-made model provider until package objects exists:
// the resources the golden files touch, with the types of the OMA DDFs
// (/work/shared/lwm2m-registry) and of the test objects 65-67 that the Core
// TS uses for its object-link examples.
type testModels map[uint16]*lwm2m.ObjectModel

func (t testModels) Object(id uint16, _ string) (*lwm2m.ObjectModel, bool) {
	o, ok := t[id]
	return o, ok
}

type res struct {
	id       uint16
	typ      lwm2m.Type
	multiple bool
}

func object(id uint16, rs ...res) *lwm2m.ObjectModel {
	o := &lwm2m.ObjectModel{ID: id, Version: "1.0", Multiple: true}
	for _, r := range rs {
		o.Resources = append(o.Resources, lwm2m.ResourceModel{ID: r.id, Type: r.typ, Multiple: r.multiple, Operations: lwm2m.OpsRead})
	}
	slices.SortFunc(o.Resources, func(a, b lwm2m.ResourceModel) int { return int(a.ID) - int(b.ID) })
	return o
}

const (
	tNone    = lwm2m.TypeNone
	tString  = lwm2m.TypeString
	tInt     = lwm2m.TypeInteger
	tUint    = lwm2m.TypeUnsigned
	tFloat   = lwm2m.TypeFloat
	tBool    = lwm2m.TypeBoolean
	tOpaque  = lwm2m.TypeOpaque
	tTime    = lwm2m.TypeTime
	tObjlnk  = lwm2m.TypeObjlnk
	tCorelnk = lwm2m.TypeCorelnk
)

func newTestModels() testModels {
	return testModels{
		0: object(0, res{0, tString, false}, res{1, tBool, false}, res{2, tInt, false}, res{3, tOpaque, false},
			res{4, tOpaque, false}, res{5, tOpaque, false}, res{16, tUint, true}),
		1: object(1, res{0, tInt, false}, res{1, tInt, false}, res{4, tNone, false}, res{6, tBool, false},
			res{7, tString, false}, res{11, tUint, false}),
		3: object(3, res{0, tString, false}, res{1, tString, false}, res{2, tString, false}, res{3, tString, false},
			res{4, tNone, false}, res{5, tNone, false}, res{6, tInt, true}, res{7, tInt, true}, res{8, tInt, true},
			res{9, tInt, false}, res{10, tInt, false}, res{11, tInt, true}, res{12, tNone, false}, res{13, tTime, false},
			res{14, tString, false}, res{15, tString, false}, res{16, tString, false}, res{17, tString, false},
			res{18, tString, false}, res{19, tString, false}, res{20, tInt, false}, res{21, tInt, false},
			res{22, tObjlnk, true}),
		// Objects 65-67 of the Core TS object-link examples.
		65:   object(65, res{0, tObjlnk, true}, res{1, tString, false}, res{2, tInt, false}),
		66:   object(66, res{0, tString, false}, res{1, tString, false}, res{2, tObjlnk, false}),
		67:   object(67, res{0, tString, false}, res{1, tString, false}),
		3303: object(3303, res{5700, tFloat, false}, res{5701, tString, false}, res{5518, tTime, false}),
		3308: object(3308, res{5900, tFloat, false}),
		3311: object(3311, res{5850, tBool, false}, res{5851, tInt, false}),
		3442: object(3442, res{110, tString, false}, res{120, tUint, false}, res{1110, tCorelnk, false}),
	}
}

// fixedNow is the clock every test codec uses: 2026-01-02T03:04:05Z.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return fixedNow }
