package objects_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

var _ lwm2m.ModelProvider = (*objects.Registry)(nil)

var requiredIDs = []uint16{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 19, 21, 3200, 3303, 3304, 3311, 3316, 3323, 3328, 3331, 3336, 3347}

func TestNewHoldsEveryStandardObject(t *testing.T) {
	r := objects.New()
	var ids []uint16
	for _, m := range r.Objects() {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, requiredIDs) {
		t.Errorf("Objects() ids = %v\nwant %v", ids, requiredIDs)
	}
	for _, id := range requiredIDs {
		m, ok := r.Object(id, "")
		if !ok || m.ID != id || m.Name == "" || len(m.Resources) == 0 {
			t.Errorf("Object(%d) = %+v, %v", id, m, ok)
		}
	}
	if _, ok := r.Object(8, ""); ok {
		t.Error("Object(8) found; 8 (Lock and Wipe) is not compiled in")
	}
	p := lwm2m.MustPath("/3/0/6/1")
	rm, ok := lwm2m.ResourceModelAt(r, p)
	if !ok || rm.Name != "Available Power Sources" || rm.Type != lwm2m.TypeInteger || !rm.Multiple {
		t.Errorf("ResourceModelAt(%s) = %+v, %v", p, rm, ok)
	}
}

func TestZeroRegistryIsEmpty(t *testing.T) {
	var r objects.Registry
	if _, ok := r.Object(3, ""); ok {
		t.Error("zero Registry knows object 3")
	}
	if got := r.Objects(); len(got) != 0 {
		t.Errorf("zero Registry has %d objects", len(got))
	}
	if err := r.Add(lwm2m.ObjectModel{ID: 42, Name: "X"}); err != nil {
		t.Fatal(err)
	}
	m, ok := r.Object(42, "")
	if !ok || m.Version != "1.0" || m.LwM2MVersion != "1.0" {
		t.Errorf("Object(42) = %+v, %v; want the 1.0 defaults", m, ok)
	}
}

func versions(t *testing.T, vs ...string) *objects.Registry {
	t.Helper()
	var r objects.Registry
	for _, v := range vs {
		if err := r.Add(lwm2m.ObjectModel{ID: 40000, Name: "v" + v, Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	return &r
}

func TestObjectVersionLookup(t *testing.T) {
	r := versions(t, "1.2", "1.0", "2.0", "1.10")
	cases := []struct{ ask, want string }{
		{"", "2.0"},      // newest
		{"1.0", "1.0"},   // exact
		{"1.2", "1.2"},   // exact
		{"1.10", "1.10"}, // exact, and 1.10 sorts above 1.2
		{"1.1", "1.0"},   // newest not above 1.1
		{"1.9", "1.2"},   // 1.10 is above 1.9
		{"1.11", "1.10"}, // newest not above
		{"3.0", "2.0"},   // above everything: newest
		{"0.9", "1.0"},   // below everything: oldest
		{"junk", "2.0"},  // not a version: newest
		{"01.00", "1.0"}, // compared numerically
	}
	for _, c := range cases {
		m, ok := r.Object(40000, c.ask)
		if !ok || m.Version != c.want {
			t.Errorf("Object(40000, %q) = %v %v, want version %s", c.ask, m.Version, ok, c.want)
		}
	}
	var got []string
	for _, m := range r.Objects() {
		got = append(got, m.Version)
	}
	if want := []string{"1.0", "1.2", "1.10", "2.0"}; !slices.Equal(got, want) {
		t.Errorf("Objects() versions = %v, want %v", got, want)
	}
}

func TestAddReplacesSameVersionAndValidates(t *testing.T) {
	r := objects.New()
	res := []lwm2m.ResourceModel{{ID: 9, Name: "b", Type: lwm2m.TypeInteger}, {ID: 1, Name: "a", Type: lwm2m.TypeString}}
	if err := r.Add(lwm2m.ObjectModel{ID: 3, Name: "My Device", Version: "1.2", Resources: res}); err != nil {
		t.Fatal(err)
	}
	m, _ := r.Object(3, "1.2")
	if m.Name != "My Device" || m.Resources[0].ID != 1 || m.Resources[1].ID != 9 {
		t.Errorf("Object(3, 1.2) = %+v, want the replacement with sorted resources", m)
	}
	if res[0].ID != 9 {
		t.Error("Add sorted the caller's slice")
	}
	bad := []lwm2m.ObjectModel{
		{ID: 65535, Name: "x"},
		{ID: 1, Name: "x", Version: "one"},
		{ID: 1, Name: "x", LwM2MVersion: "1"},
		{ID: 1, Name: "x", Resources: []lwm2m.ResourceModel{{ID: 2}, {ID: 2}}},
		{ID: 1, Name: "x", Resources: []lwm2m.ResourceModel{{ID: 65535}}},
	}
	for _, b := range bad {
		if err := r.Add(b); !errors.Is(err, objects.ErrInvalidModel) {
			t.Errorf("Add(%+v) = %v, want ErrInvalidModel", b, err)
		}
	}
	if m, _ := r.Object(1, ""); m.Name != "LwM2M Server" {
		t.Errorf("a failed Add changed object 1: %+v", m)
	}
}

func TestLoadDirVendorObjects(t *testing.T) {
	r := objects.New()
	if err := r.LoadDir("testdata/vendor"); err != nil {
		t.Fatal(err)
	}
	// A new vendor object at two versions, from one file.
	v, ok := r.Object(33000, "")
	if !ok || v.Version != "1.1" || len(v.Resources) != 4 {
		t.Errorf("Object(33000) = %+v, %v; want v1.1 with 4 resources", v, ok)
	}
	if v, _ := r.Object(33000, "1.0"); v.Version != "1.0" || len(v.Resources) != 2 {
		t.Errorf("Object(33000, 1.0) = %+v", v)
	}
	// An older Device version is added beside the standard 1.2.
	if d, _ := r.Object(3, ""); d.Version != "1.2" || len(d.Resources) != 23 {
		t.Errorf("Object(3) = v%s with %d resources, want the standard 1.2", d.Version, len(d.Resources))
	}
	for _, ask := range []string{"1.0", "1.1", "0.1"} {
		d, _ := r.Object(3, ask)
		rm, _ := d.Resource(7)
		if d.Version != "1.0" || rm == nil || rm.Units != "mV" {
			t.Errorf("Object(3, %s) = v%s resource 7 %+v, want the vendor 1.0 model", ask, d.Version, rm)
		}
	}
	// Same id and version as a standard object: the vendor one overrides.
	tm, _ := r.Object(3303, "1.1")
	if len(tm.Resources) != 1 || tm.Resources[0].Units != "°C" {
		t.Errorf("Object(3303, 1.1) = %+v, want the vendor override", tm)
	}
	// notes.txt and nested/ignored.xml are not read; the rest is unchanged.
	if got, want := len(r.Objects()), len(requiredIDs)+3; got != want {
		t.Errorf("%d models after LoadDir, want %d", got, want)
	}
}

func TestLoadDirBadFiles(t *testing.T) {
	r := objects.New()
	before := r.Objects()
	err := r.LoadDir("testdata/bad")
	if err == nil {
		t.Fatal("LoadDir(testdata/bad) succeeded")
	}
	if !errors.Is(err, objects.ErrInvalidDDF) {
		t.Errorf("%v does not wrap ErrInvalidDDF", err)
	}
	msg := err.Error()
	for _, want := range []string{
		filepath.Join("testdata/bad", "badtype.xml") + `:20: Object[2] (ID 33000) Item[ID=5]: Type "Foo" is not an LwM2M data type`,
		filepath.Join("testdata/bad", "dupres.xml") + `:12: Object[1] (ID 33002) Item[ID=1]: duplicate resource id 1`,
		filepath.Join("testdata/bad", "id65535.xml") + `:6: Object[1] ObjectID: id 65535 is reserved`,
		filepath.Join("testdata/bad", "syntax.xml") + `:11: Object[1] (ID 33003) Item[ID=0] Units: XML syntax error`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("LoadDir error lacks %q; got:\n%s", want, msg)
		}
	}
	if after := r.Objects(); !slices.Equal(before, after) {
		t.Error("a failed LoadDir changed the registry")
	}
}

func TestLoadDirConflictsAndIOErrors(t *testing.T) {
	dir := t.TempDir()
	doc := `<LWM2M>` + obj("33010", item("0", "R", "Integer")) + `</LWM2M>`
	for _, name := range []string{"a.xml", "b.xml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var r objects.Registry
	err := r.LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "b.xml: Object[1] (ID 33010): object 33010 version 1.0 is also defined in "+filepath.Join(dir, "a.xml")) {
		t.Errorf("LoadDir with a conflict = %v", err)
	}
	if _, ok := r.Object(33010, ""); ok {
		t.Error("conflicting LoadDir added objects")
	}
	err = r.LoadDir(filepath.Join(dir, "missing"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("LoadDir(missing) = %v", err)
	}
}

func TestRegistryConcurrentReadsDuringLoad(t *testing.T) {
	r := objects.New()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, ok := r.Object(3, "")
				if !ok || d.ID != 3 {
					t.Error("Object(3) vanished during a load")
					return
				}
				_ = r.Objects()
			}
		})
	}
	for i := range 50 {
		if err := r.Add(lwm2m.ObjectModel{ID: uint16(34000 + i), Name: "n"}); err != nil {
			t.Error(err)
		}
		if i%10 == 0 {
			if err := r.LoadDir("testdata/vendor"); err != nil {
				t.Error(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if got, want := len(r.Objects()), len(requiredIDs)+3+50; got != want {
		t.Errorf("%d models, want %d", got, want)
	}
}
