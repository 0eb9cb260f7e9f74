package lwjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// golden is one case: testdata/NAME.case.json describes what decoding
// testdata/NAME.lwjson must give (see testdata/README.md).
type golden struct {
	name      string
	payload   []byte
	Source    string          `json:"source"`
	Path      lwm2m.Path      `json:"path"`
	Now       time.Time       `json:"now"`
	NoModel   bool            `json:"no_model"`
	Records   []lwm2m.Record  `json:"records"`
	Node      json.RawMessage `json:"node"`
	NodeError string          `json:"node_error"`
	Error     string          `json:"error"`
	Canonical bool            `json:"canonical"`
}

// defaultNow is the decoding clock of cases that give no "now".
var defaultNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (g *golden) codec() *Codec {
	now := g.Now
	if now.IsZero() {
		now = defaultNow
	}
	return New(WithNow(func() time.Time { return now }))
}

func (g *golden) models() lwm2m.ModelProvider {
	if g.NoModel {
		return lwm2m.NoModels{}
	}
	return models
}

func loadGolden(t testing.TB) []golden {
	t.Helper()
	files, err := filepath.Glob("testdata/*.case.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	out := make([]golden, 0, len(files))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".case.json")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g := golden{name: name}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if g.Source == "" {
			t.Fatalf("%s: every golden case names its source", f)
		}
		p, err := os.ReadFile(filepath.Join("testdata", name+".lwjson"))
		if err != nil {
			t.Fatal(err)
		}
		g.payload = bytes.TrimSuffix(p, []byte("\n"))
		out = append(out, g)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, g := range loadGolden(t) {
		t.Run(g.name, func(t *testing.T) {
			c, m := g.codec(), g.models()
			recs, err := c.DecodeRecords(g.Path, g.payload, m)
			node, nodeErr := c.Decode(g.Path, g.payload, m)
			if g.Error != "" {
				wantError(t, "DecodeRecords", err, g.Error)
				wantError(t, "Decode", nodeErr, g.Error)
				return
			}
			if err != nil {
				t.Fatalf("DecodeRecords: %v", err)
			}
			assertRecords(t, recs, g.Records)
			if g.NodeError != "" {
				wantError(t, "Decode", nodeErr, g.NodeError)
			} else {
				if nodeErr != nil {
					t.Fatalf("Decode: %v", nodeErr)
				}
				want := expectedNode(t, &g)
				if !node.Equal(&want) {
					t.Fatalf("Decode:\n got %s\nwant %s", mustJSON(node), mustJSON(want))
				}
			}
			if !g.Canonical {
				return
			}
			out, err := c.EncodeRecords(g.Path, g.Records)
			if err != nil {
				t.Fatalf("EncodeRecords: %v", err)
			}
			if !bytes.Equal(out, g.payload) {
				t.Fatalf("EncodeRecords:\n got %s\nwant %s", out, g.payload)
			}
			if g.NodeError == "" {
				out, err := c.Encode(g.Path, &node)
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				if !bytes.Equal(out, g.payload) {
					t.Fatalf("Encode:\n got %s\nwant %s", out, g.payload)
				}
			}
		})
	}
}

func expectedNode(t *testing.T, g *golden) lwm2m.Node {
	t.Helper()
	if len(g.Node) > 0 {
		var n lwm2m.Node
		if err := json.Unmarshal(g.Node, &n); err != nil {
			t.Fatalf("node: %v", err)
		}
		return n
	}
	n, err := lwm2m.BuildNode(g.Path, g.Records)
	if err != nil {
		t.Fatalf("building the expected node: %v", err)
	}
	return n
}

func wantError(t *testing.T, op string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one containing %q", op, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: error %q does not contain %q", op, err, want)
	}
	if !errors.Is(err, codec.ErrMalformed) && !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("%s: error %q wraps neither ErrMalformed nor ErrNotRepresentable", op, err)
	}
}

func assertRecords(t *testing.T, got, want []lwm2m.Record) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Path == want[i].Path && got[i].Value.Equal(want[i].Value) && got[i].Time.Equal(want[i].Time)
	}
	if !ok {
		t.Fatalf("records:\n got %s\nwant %s", mustJSON(got), mustJSON(want))
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
