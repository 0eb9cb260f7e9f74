package api

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

func readGolden(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type execCase struct {
	Args   string `json:"args"`
	OK     bool   `json:"ok"`
	Offset *int   `json:"offset"`
}

func TestExecArgsGolden(t *testing.T) {
	var cs []execCase
	readGolden(t, "exec_args.json", &cs)
	for _, c := range cs {
		err := checkExecArgs(c.Args)
		if c.OK != (err == nil) {
			t.Errorf("%q: err %v, want ok=%v", c.Args, err, c.OK)
			continue
		}
		var fe *fieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "args") {
			t.Errorf("%q: %v is not a field error on args", c.Args, err)
		}
		if c.Offset != nil && err != nil && !strings.Contains(err.Error(), "offset "+itoa(*c.Offset)+":") {
			t.Errorf("%q: %v, want offset %d", c.Args, err, *c.Offset)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func FuzzExecArgs(f *testing.F) {
	var cs []execCase
	readGolden(f, "exec_args.json", &cs)
	for _, c := range cs {
		f.Add(c.Args)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := checkExecArgs(s); err != nil && !errors.Is(err, errBadInput) {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

type compositeCase struct {
	Name  string          `json:"name"`
	Body  json.RawMessage `json:"body"`
	Want  json.RawMessage `json:"want"`
	Field string          `json:"field"`
}

func TestCompositeBodyGolden(t *testing.T) {
	var cs []compositeCase
	readGolden(t, "composite_bodies.json", &cs)
	vp := valueParser{models: objects.New()}
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			recs, err := vp.records(c.Body)
			if c.Field != "" {
				var fe *fieldError
				if !errors.As(err, &fe) || fe.Field != c.Field {
					t.Fatalf("got %v, want a field error on %q", err, c.Field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []lwm2m.Record
			if err := json.Unmarshal(c.Want, &want); err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(want) {
				t.Fatalf("got %d records, want %d", len(recs), len(want))
			}
			for i := range want {
				if recs[i].Path != want[i].Path || !recs[i].Value.Equal(want[i].Value) {
					t.Errorf("record %d: %s %v (%s), want %s %v (%s)", i, recs[i].Path, recs[i].Value, recs[i].Value.Type(),
						want[i].Path, want[i].Value, want[i].Value.Type())
				}
			}
		})
	}
}

func FuzzCompositeBody(f *testing.F) {
	var cs []compositeCase
	readGolden(f, "composite_bodies.json", &cs)
	for _, c := range cs {
		f.Add([]byte(c.Body))
	}
	vp := valueParser{models: objects.New()}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, err := vp.records(body)
		if err != nil {
			if !errors.Is(err, errBadInput) {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.Path.Len() < 3 {
				t.Fatalf("record at %s", r.Path)
			}
		}
	})
}

type attrCase struct {
	Body  json.RawMessage `json:"body"`
	OK    bool            `json:"ok"`
	Field string          `json:"field"`
}

func TestAttributesGolden(t *testing.T) {
	var cs []attrCase
	readGolden(t, "attributes.json", &cs)
	for _, c := range cs {
		a, err := parseAttributesJSON("", c.Body)
		if c.OK {
			if err != nil || a.IsZero() {
				t.Errorf("%s: %v %+v", c.Body, err, a)
			}
			continue
		}
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != c.Field {
			t.Errorf("%s: got %v, want a field error on %q", c.Body, err, c.Field)
		}
	}
}

func FuzzAttributesJSON(f *testing.F) {
	var cs []attrCase
	readGolden(f, "attributes.json", &cs)
	for _, c := range cs {
		f.Add([]byte(c.Body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseAttributesJSON("attributes", body)
		if err != nil {
			if !errors.Is(err, errBadInput) {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted attributes do not validate: %v", err)
		}
	})
}

func TestCSVImportGolden(t *testing.T) {
	rows, err := parseCSVImport(mustRead(t, "import/full.csv"), 100)
	if err != nil || len(rows) != 3 {
		t.Fatalf("full.csv: %v %d rows", err, len(rows))
	}
	if rows[0].in.Labels["b"] != "2" || rows[0].in.Credentials != nil {
		t.Errorf("row 1: %+v", rows[0].in)
	}
	if c := rows[1].in.Credentials; c == nil || c.Mode != "psk" || c.PSKIdentity != "id-2" || c.PSKKeyHex != "0011223344556677" {
		t.Errorf("row 2: %+v", rows[1].in.Credentials)
	}
	if c := rows[2].in.Credentials; c == nil || c.Mode != "nosec" {
		t.Errorf("row 3: %+v", rows[2].in.Credentials)
	}
	rows, err = parseCSVImport(mustRead(t, "import/endpoint_only.csv"), 100)
	if err != nil || len(rows) != 2 || rows[1].in.Endpoint != "only-2" {
		t.Fatalf("endpoint_only.csv: %v %+v", err, rows)
	}
	if _, err := parseCSVImport(mustRead(t, "import/endpoint_only.csv"), 1); err == nil {
		t.Error("the row limit is not enforced")
	}
	// A BOM and a semicolon header: one unknown column.
	if _, err := parseCSVImport(mustRead(t, "import/odd.csv"), 100); err == nil {
		t.Error("odd.csv: accepted a header with an unknown column")
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzCSVImport(f *testing.F) {
	for _, name := range []string{"import/full.csv", "import/endpoint_only.csv", "import/odd.csv"} {
		f.Add(mustRead(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, err := parseCSVImport(body, 1000)
		if err != nil {
			if !errors.Is(err, errBadInput) {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		if len(rows) > 1000 {
			t.Fatalf("%d rows past the limit", len(rows))
		}
		for _, r := range rows {
			if r.err == nil && r.in.Endpoint == "" {
				t.Fatal("a row without an endpoint was accepted")
			}
		}
	})
}
