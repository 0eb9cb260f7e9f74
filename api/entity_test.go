package api

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/models"
)

// entityCases reads testdata/entities.golden: an input, a tab, and what it
// parses to ("kind id endpoint" or "error <message>").
func entityCases(t testing.TB) [][2]string {
	f, err := os.Open("testdata/entities.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		in, want, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		out = append(out, [2]string{in, want})
	}
	return out
}

func entityText(ref models.EntityRef, ep string, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return fmt.Sprintf("%s %d %s", ref.Kind, ref.ID, ep)
}

func TestParseEntityGolden(t *testing.T) {
	for _, c := range entityCases(t) {
		ref, ep, err := parseEntity("from", c[0])
		if got := entityText(ref, ep, err); got != c[1] {
			t.Errorf("%q: %q, want %q", c[0], got, c[1])
		}
	}
}

// FuzzParseEntity: any text parses to a device or asset reference or a
// field error naming "from"; never a panic.
func FuzzParseEntity(f *testing.F) {
	for _, c := range entityCases(f) {
		f.Add(c[0])
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ep, err := parseEntity("from", s)
		switch {
		case err != nil:
			if fe, ok := err.(*fieldError); !ok || fe.Field != "from" {
				t.Fatalf("%q: error %v does not name the field", s, err)
			}
		case ref.Kind == models.EntityAsset:
			if ref.ID <= 0 || ep != "" {
				t.Fatalf("%q: %+v %q", s, ref, ep)
			}
		case ref.Kind == models.EntityDevice:
			if (ref.ID > 0) == (ep != "") {
				t.Fatalf("%q: a device is an id or an endpoint: %+v %q", s, ref, ep)
			}
		default:
			t.Fatalf("%q: kind %q", s, ref.Kind)
		}
	})
}
