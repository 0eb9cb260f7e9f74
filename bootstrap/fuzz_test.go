package bootstrap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseQuery: any Uri-Query set yields an endpoint or an error naming
// the option, never a panic.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{"ep=dev-1", "ep=dev-1&pct=112", "pct=11542&ep=x&lt=10", "ep=", "ep=a&ep=b", "pct=-1&ep=a", "ep=\xff"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		ep, _, err := parseQuery(strings.Split(q, "&"))
		if err == nil && checkEndpoint(ep) != nil {
			t.Fatalf("accepted endpoint %q", ep)
		}
	})
}

// FuzzAnalyseDiscover is seeded with the golden Discover answers.
func FuzzAnalyseDiscover(f *testing.F) {
	files, _ := filepath.Glob("testdata/discover/*.lf")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := analyseDiscover(b)
		if err != nil {
			return
		}
		if !validVersion(st.Version) {
			t.Fatalf("version %q", st.Version)
		}
		ids := securityIDs(st, 3)
		for _, id := range ids {
			for _, bs := range st.BootstrapInstances {
				if id == bs {
					t.Fatalf("would write over the bootstrap account /0/%d", id)
				}
			}
		}
	})
}
