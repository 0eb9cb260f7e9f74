package dm

import (
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

// TestLinkPaths: the paths of a registration's object links, relative to
// its root path; targets that are not paths are skipped.
func TestLinkPaths(t *testing.T) {
	for _, c := range []struct{ links, root, want string }{
		{`</1/0>,</3/0>`, "/", "/1/0 /3/0"},
		{`</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>`, "/", "/ /1/0 /3/0"},
		{`</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>,</lwm2m/5>;ver=1.1`, "/lwm2m", "/3/0 /5"},
		{`</3/0`, "/", ""},
		{`garbage,,<>,</x/y>,</3/0/2>`, "/", "/3/0/2"},
	} {
		var got []string
		for _, p := range linkPaths(c.links, c.root) {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("linkPaths(%q, %q) = %v, want %s", c.links, c.root, got, c.want)
		}
	}
}

// FuzzLinkPaths: any object-link text yields paths that parse again,
// never a panic.
func FuzzLinkPaths(f *testing.F) {
	for _, s := range []string{`</1/0>,</3/0>`, `</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>`, `<`, `>,<,`, `</65535/65535/65535/65535>`} {
		f.Add(s, "/")
	}
	f.Fuzz(func(t *testing.T, links, root string) {
		for _, p := range linkPaths(links, root) {
			if _, err := lwm2m.ParsePath(p.String()); err != nil {
				t.Fatalf("%v does not parse again: %v", p, err)
			}
		}
	})
}
