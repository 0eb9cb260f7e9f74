package objects_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

// FuzzParseDDF feeds arbitrary bytes to ParseDDF: it must return either
// well-formed models or a *DDFError naming the input, never panic or hang.
func FuzzParseDDF(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"ddf/*.xml", "testdata/vendor/*", "testdata/bad/*.xml"} {
		m, _ := filepath.Glob(pattern)
		seeds = append(seeds, m...)
	}
	for _, path := range seeds {
		if fi, err := os.Stat(path); err != nil || fi.IsDir() {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<LWM2M>` + obj("1", item("0", "R", "Integer")) + `</LWM2M>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := objects.ParseDDF(bytes.NewReader(data), "fuzz.xml")
		if err != nil {
			var de *objects.DDFError
			if !errors.As(err, &de) || !errors.Is(err, objects.ErrInvalidDDF) || !strings.HasPrefix(err.Error(), "fuzz.xml") {
				t.Fatalf("error %v (%T) is not a *DDFError naming fuzz.xml", err, err)
			}
			return
		}
		if len(ms) == 0 {
			t.Fatal("no models and no error")
		}
		for _, m := range ms {
			if m.ID > lwm2m.MaxID || m.Name == "" || m.Version == "" || m.LwM2MVersion == "" || len(m.Resources) == 0 {
				t.Fatalf("bad object %+v", m)
			}
			for i, r := range m.Resources {
				if r.ID > lwm2m.MaxID || (i > 0 && m.Resources[i-1].ID >= r.ID) {
					t.Fatalf("object %d: resources not unique and sorted at %d", m.ID, i)
				}
				if r.Operations.Executable() != (r.Type == lwm2m.TypeNone) {
					t.Fatalf("object %d resource %d: ops %q type %v", m.ID, r.ID, r.Operations, r.Type)
				}
			}
		}
		var reg objects.Registry
		if err := reg.Add(ms...); err != nil {
			t.Fatalf("Add of parsed models: %v", err)
		}
	})
}
