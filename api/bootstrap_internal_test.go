package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/dm"
)

type bootstrapConfigCase struct {
	Name  string          `json:"name"`
	Body  json.RawMessage `json:"body"`
	Want  json.RawMessage `json:"want"`
	Field string          `json:"field"`
}

// TestBootstrapConfigBodyGolden decodes the bodies of
// testdata/bootstrap_configs.json: each becomes the dm input given, or a
// field error naming the member.
func TestBootstrapConfigBodyGolden(t *testing.T) {
	var cs []bootstrapConfigCase
	readGolden(t, "bootstrap_configs.json", &cs)
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			in, err := parseBootstrapConfigBody(c.Body)
			if c.Field != "" {
				var fe *fieldError
				if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, c.Field) {
					t.Fatalf("error %v, want a field error on %s", err, c.Field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want dm.BootstrapConfigInput
			if err := json.Unmarshal(c.Want, &want); err != nil {
				t.Fatal(err)
			}
			w, _ := json.Marshal(want)
			h, _ := json.Marshal(in)
			if !bytes.Equal(w, h) {
				t.Fatalf("input\n got %s\nwant %s", h, w)
			}
		})
	}
}

// FuzzBootstrapConfigBody: any body decodes to an input or a field error.
func FuzzBootstrapConfigBody(f *testing.F) {
	var cs []bootstrapConfigCase
	readGolden(f, "bootstrap_configs.json", &cs)
	for _, c := range cs {
		f.Add([]byte(c.Body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := parseBootstrapConfigBody(body); err != nil && !errors.Is(err, errBadInput) {
			t.Fatalf("not a field error: %v", err)
		}
	})
}
