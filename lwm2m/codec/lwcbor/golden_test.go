package lwcbor

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// golden is one case in testdata/lwm2m-cbor or testdata/cbor (see
// testdata/README.md for the fields and the sources).
type golden struct {
	file      string
	Source    string          `json:"source"`
	Path      lwm2m.Path      `json:"path"`
	Hex       string          `json:"hex"`
	Diag      string          `json:"diag"`
	NoModel   bool            `json:"no_model"`
	Records   []lwm2m.Record  `json:"records"`
	Node      json.RawMessage `json:"node"`
	NodeError string          `json:"node_error"`
	Error     string          `json:"error"`
	Canonical bool            `json:"canonical"`
}

func (g *golden) payload(t testing.TB) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(g.Hex), ""))
	if err != nil {
		t.Fatalf("%s: bad hex: %v", g.file, err)
	}
	return b
}

func (g *golden) models() lwm2m.ModelProvider {
	if g.NoModel {
		return lwm2m.NoModels{}
	}
	return models
}

func loadGolden(t testing.TB, dir string) []golden {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in testdata/%s: %v", dir, err)
	}
	out := make([]golden, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g := golden{file: filepath.Base(f)}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if g.Source == "" {
			t.Fatalf("%s: every golden case names its source", f)
		}
		out = append(out, g)
	}
	return out
}

func TestGoldenLwM2MCBOR(t *testing.T) { runGolden(t, "lwm2m-cbor", New()) }

func TestGoldenPlainCBOR(t *testing.T) { runGolden(t, "cbor", NewPlain()) }

func runGolden(t *testing.T, dir string, c codec.Codec) {
	for _, g := range loadGolden(t, dir) {
		t.Run(strings.TrimSuffix(g.file, ".json"), func(t *testing.T) {
			data := g.payload(t)
			checkDiag(t, &g, data)
			m := g.models()
			recs, err := c.DecodeRecords(g.Path, data, m)
			node, nodeErr := c.Decode(g.Path, data, m)
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
			if !bytes.Equal(out, data) {
				t.Fatalf("EncodeRecords:\n got % X\nwant % X", out, data)
			}
			if g.NodeError == "" {
				out, err := c.Encode(g.Path, &node)
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				if !bytes.Equal(out, data) {
					t.Fatalf("Encode:\n got % X\nwant % X", out, data)
				}
			}
		})
	}
}

// checkDiag has an independent CBOR implementation (fxamacker/cbor) render
// the payload, so the hex in a golden file is checked against the
// diagnostic notation written next to it (usually copied from the source).
func checkDiag(t *testing.T, g *golden, data []byte) {
	t.Helper()
	d, err := cbor.Diagnose(data)
	if g.Diag == "" {
		if err == nil {
			t.Fatalf("payload is well-formed CBOR %s; write it as \"diag\"", d)
		}
		return
	}
	if err != nil {
		t.Fatalf("diag given but payload is not well-formed CBOR: %v", err)
	}
	if d != g.Diag {
		t.Fatalf("payload reads as\n %s\nnot\n %s", d, g.Diag)
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
