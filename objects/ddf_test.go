package objects_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

func parseFile(t testing.TB, path string) []lwm2m.ObjectModel {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := objects.ParseDDF(bytes.NewReader(b), filepath.Base(path))
	if err != nil {
		t.Fatalf("ParseDDF(%s): %v", path, err)
	}
	return ms
}

func TestParseDDFDeviceFacts(t *testing.T) {
	ms := parseFile(t, "ddf/3.xml")
	if len(ms) != 1 {
		t.Fatalf("3.xml: %d objects, want 1", len(ms))
	}
	d := ms[0]
	if d.ID != 3 || d.Name != "Device" || d.URN != "urn:oma:lwm2m:oma:3:1.2" || d.Version != "1.2" ||
		d.LwM2MVersion != "1.1" || d.Multiple || !d.Mandatory {
		t.Errorf("object facts = %+v", d)
	}
	want := map[uint16]lwm2m.ResourceModel{
		0:  {ID: 0, Name: "Manufacturer", Operations: lwm2m.OpsRead, Type: lwm2m.TypeString},
		4:  {ID: 4, Name: "Reboot", Operations: lwm2m.OpsExecute, Mandatory: true, Type: lwm2m.TypeNone},
		6:  {ID: 6, Name: "Available Power Sources", Operations: lwm2m.OpsRead, Multiple: true, Type: lwm2m.TypeInteger, Range: "0..7"},
		9:  {ID: 9, Name: "Battery Level", Operations: lwm2m.OpsRead, Type: lwm2m.TypeInteger, Range: "0..100", Units: "/100"},
		11: {ID: 11, Name: "Error Code", Operations: lwm2m.OpsRead, Multiple: true, Mandatory: true, Type: lwm2m.TypeInteger, Range: "0..32"},
		13: {ID: 13, Name: "Current Time", Operations: lwm2m.OpsRead | lwm2m.OpsWrite, Type: lwm2m.TypeTime},
		16: {ID: 16, Name: "Supported Binding and Modes", Operations: lwm2m.OpsRead, Mandatory: true, Type: lwm2m.TypeString},
		22: {ID: 22, Name: "ExtDevInfo", Operations: lwm2m.OpsRead, Multiple: true, Type: lwm2m.TypeObjlnk},
	}
	for id, w := range want {
		got, ok := d.Resource(id)
		if !ok {
			t.Errorf("resource %d missing", id)
			continue
		}
		if *got != w {
			t.Errorf("resource %d = %+v, want %+v", id, *got, w)
		}
	}
	if len(d.Resources) != 23 {
		t.Errorf("%d resources, want 23 (0..22)", len(d.Resources))
	}
	for i, r := range d.Resources {
		if int(r.ID) != i {
			t.Fatalf("resource at index %d has id %d, want ids 0..22 in order", i, r.ID)
		}
	}
}

func TestParseDDFSecurityHasNoOperations(t *testing.T) {
	// Security resources are reachable by bootstrap only: empty Operations.
	s := parseFile(t, "ddf/0.xml")[0]
	r, ok := s.Resource(0)
	if !ok || r.Operations != 0 || r.Type != lwm2m.TypeString || !r.Mandatory || r.Range != "0..255" {
		t.Errorf("/0 resource 0 = %+v", r)
	}
	if r.Operations.String() != "" {
		t.Errorf("Operations.String() = %q, want empty", r.Operations.String())
	}
}

func TestParseDDFVendorFile(t *testing.T) {
	ms := parseFile(t, "testdata/vendor/acme-valve.xml")
	if len(ms) != 2 {
		t.Fatalf("%d objects, want 2", len(ms))
	}
	v10, v11 := ms[0], ms[1]
	if v10.ID != 33000 || v10.Version != "1.0" || v10.LwM2MVersion != "1.0" || !v10.Multiple || v10.Mandatory {
		t.Errorf("first object = %+v, want 33000 v1.0 (defaults), Multiple, Optional", v10)
	}
	if got := []uint16{v10.Resources[0].ID, v10.Resources[1].ID}; got[0] != 0 || got[1] != 2 {
		t.Errorf("resources not sorted by id: %v", got)
	}
	if r := v10.Resources[0]; r.Range != "0..100" || r.Units != "/100" {
		t.Errorf("range/units not trimmed: %+v", r)
	}
	if v11.Version != "1.1" || v11.LwM2MVersion != "1.1" || len(v11.Resources) != 4 {
		t.Errorf("second object = %+v", v11)
	}
	if r, _ := v11.Resource(3); r == nil || r.Type != lwm2m.TypeCorelnk {
		t.Errorf("resource 3 = %+v, want Corelnk", r)
	}
	if r, _ := v11.Resource(1); r == nil || r.Type != lwm2m.TypeFloat || !r.Multiple || r.Units != "l/min" {
		t.Errorf("resource 1 = %+v", r)
	}
}

func TestParseDDFByteOrderMark(t *testing.T) {
	raw, err := os.ReadFile("testdata/vendor/device-1.0.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		t.Fatal("fixture lost its BOM")
	}
	with, err := objects.ParseDDF(bytes.NewReader(raw), "bom.xml")
	if err != nil {
		t.Fatal(err)
	}
	without, err := objects.ParseDDF(bytes.NewReader(raw[3:]), "nobom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(with, without) {
		t.Errorf("BOM changes the result:\n%+v\n%+v", with, without)
	}
	if with[0].Version != "1.0" || with[0].LwM2MVersion != "1.0" {
		t.Errorf("versions = %q/%q, want the 1.0 defaults", with[0].Version, with[0].LwM2MVersion)
	}
}

func TestParseDDFLatin1(t *testing.T) {
	ms := parseFile(t, "testdata/vendor/temperature-latin1.XML")
	r, ok := ms[0].Resource(5700)
	if !ok || r.Units != "°C" {
		t.Errorf("resource 5700 = %+v, want Units °C decoded from ISO-8859-1", r)
	}
}

func TestParseDDFSkipsUnknownElements(t *testing.T) {
	doc := `<LWM2M><Vendor><Deep><Deeper/></Deep></Vendor>
<Object><Name> Thing </Name><X-Extra a="1">ignored<b/></X-Extra><ObjectID>40000</ObjectID>
<MultipleInstances> Single </MultipleInstances><Mandatory>Optional</Mandatory>
<Resources><Note>not an item</Note><Item ID=" 7 "><Name>V</Name><Operations>R</Operations>
<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Type>unsigned integer</Type>
<Extra/></Item></Resources></Object></LWM2M>
<!-- trailing comment --><?pi after?>
`
	ms, err := objects.ParseDDF(strings.NewReader(doc), "extra.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := lwm2m.ObjectModel{ID: 40000, Name: "Thing", Version: "1.0", LwM2MVersion: "1.0",
		Resources: []lwm2m.ResourceModel{{ID: 7, Name: "V", Operations: lwm2m.OpsRead, Type: lwm2m.TypeUnsigned}}}
	if len(ms) != 1 || !reflect.DeepEqual(ms[0], want) {
		t.Errorf("got %+v\nwant %+v", ms, want)
	}
}

func TestParseDDFEveryStandardFile(t *testing.T) {
	files, _ := filepath.Glob("ddf/*.xml")
	if len(files) != 22 {
		t.Fatalf("%d files in ddf/, want 22", len(files))
	}
	for _, f := range files {
		ms := parseFile(t, f)
		base := strings.TrimSuffix(filepath.Base(f), ".xml")
		if len(ms) != 1 || filepathID(ms[0].ID) != base {
			t.Errorf("%s: got %d objects, first id %d", f, len(ms), ms[0].ID)
		}
		for _, r := range ms[0].Resources {
			if r.Operations.Executable() != (r.Type == lwm2m.TypeNone) {
				t.Errorf("%s resource %d: ops %q with type %v", f, r.ID, r.Operations, r.Type)
			}
		}
	}
}

func filepathID(id uint16) string { return strconv.Itoa(int(id)) }
