package objects_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

// The compiled-in table must say exactly what the XML says. (The generator's
// own test also checks the generated source byte for byte.)
func TestStandardMatchesDDF(t *testing.T) {
	files, _ := filepath.Glob("ddf/*.xml")
	want := map[uint16]lwm2m.ObjectModel{}
	for _, f := range files {
		for _, m := range parseFile(t, f) {
			want[m.ID] = m
		}
	}
	std := objects.Standard()
	if len(std) != len(want) {
		t.Fatalf("Standard() has %d objects, ddf/ %d", len(std), len(want))
	}
	for i, m := range std {
		if i > 0 && std[i-1].ID >= m.ID {
			t.Errorf("Standard() not sorted at %d", i)
		}
		if !reflect.DeepEqual(m, want[m.ID]) {
			t.Errorf("object %d differs from ddf/:\n%+v\n%+v", m.ID, m, want[m.ID])
		}
	}
}

func TestStandardIsFresh(t *testing.T) {
	a := objects.Standard()
	a[0].Name = "changed"
	a[0].Resources[0].Name = "changed"
	b := objects.Standard()
	if b[0].Name == "changed" || b[0].Resources[0].Name == "changed" {
		t.Error("Standard() shares memory between calls")
	}
	r := objects.New()
	if m, _ := r.Object(a[0].ID, ""); m.Name == "changed" {
		t.Error("New() shares memory with Standard()")
	}
}
