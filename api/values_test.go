package api

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

type writeCase struct {
	Name  string          `json:"name"`
	Path  string          `json:"path"`
	Body  json.RawMessage `json:"body"`
	Want  json.RawMessage `json:"want"`
	Field string          `json:"field"`
}

func loadWriteCases(t testing.TB) []writeCase {
	t.Helper()
	b, err := os.ReadFile("testdata/write_bodies.json")
	if err != nil {
		t.Fatal(err)
	}
	var cs []writeCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestWriteBodyGolden(t *testing.T) {
	vp := valueParser{models: objects.New()}
	for _, c := range loadWriteCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			n, err := vp.content(lwm2m.MustPath(c.Path), c.Body)
			if c.Field != "" {
				var fe *fieldError
				if !errors.As(err, &fe) {
					t.Fatalf("got %v (node %+v), want a field error on %q", err, n, c.Field)
				}
				if fe.Field != c.Field {
					t.Fatalf("error names field %q, want %q (%v)", fe.Field, c.Field, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want lwm2m.Node
			if err := json.Unmarshal(c.Want, &want); err != nil {
				t.Fatalf("bad golden want: %v", err)
			}
			if !n.Equal(&want) {
				got, _ := json.Marshal(n)
				t.Fatalf("got  %s\nwant %s", got, c.Want)
			}
			if err := n.Validate(lwm2m.MustPath(c.Path)); err != nil {
				t.Fatalf("result does not validate: %v", err)
			}
		})
	}
}

func TestWriteBodyMalformed(t *testing.T) {
	vp := valueParser{models: objects.New()}
	for _, body := range []string{"", "   ", `{"value":`, `{"value": 1}}`, `nul`} {
		_, err := vp.content(lwm2m.MustPath("/3/0/14"), []byte(body))
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != "body" {
			t.Errorf("body %q: got %v, want a field error on body", body, err)
		}
	}
}

func TestCreateBody(t *testing.T) {
	vp := valueParser{models: objects.New()}
	n, hasID, err := vp.createContent(lwm2m.MustPath("/1"), []byte(`{"id": 3, "value": {"0": 101, "14": 60, "7": "U"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !hasID || n.Kind != lwm2m.KindInstance || n.ID != 3 || len(n.Children) != 3 {
		t.Fatalf("got %+v hasID=%v", n, hasID)
	}
	if v := n.Children[2].Value; v.Type() != lwm2m.TypeUnsigned || v.Uint() != 60 {
		t.Fatalf("delay timer = %v (%s), want unsigned 60", v, v.Type())
	}
	n, hasID, err = vp.createContent(lwm2m.MustPath("/1"), []byte(`{"0": 101}`))
	if err != nil || hasID || n.Children[0].Value.Int() != 101 {
		t.Fatalf("no id: %+v %v %v", n, hasID, err)
	}
	_, _, err = vp.createContent(lwm2m.MustPath("/1"), []byte(`{"id": 70000, "value": {}}`))
	if fe := (*fieldError)(nil); !errors.As(err, &fe) || fe.Field != "id" {
		t.Fatalf("id out of range: %v", err)
	}
	_, _, err = vp.createContent(lwm2m.MustPath("/1"), []byte(`{"kind":"resource","id":1,"type":"integer","value":1}`))
	if err == nil || !strings.Contains(err.Error(), "instance") {
		t.Fatalf("resource node on create: %v", err)
	}
}

func FuzzWriteBody(f *testing.F) {
	for _, c := range loadWriteCases(f) {
		f.Add(c.Path, []byte(c.Body))
	}
	vp := valueParser{models: objects.New()}
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		p, err := lwm2m.ParsePath(path)
		if err != nil {
			return
		}
		if p.IsObject() {
			n, _, err := vp.createContent(p, body)
			if err == nil && n.Kind != lwm2m.KindInstance {
				t.Fatalf("create gave a %s", n.Kind)
			}
			return
		}
		n, err := vp.content(p, body)
		if err != nil {
			if !errors.Is(err, errBadInput) {
				t.Fatalf("error is not a field error: %v", err)
			}
			return
		}
		if err := n.Validate(p); err != nil {
			t.Fatalf("accepted body gives an invalid node: %v", err)
		}
	})
}
