package lwm2m

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePathValid(t *testing.T) {
	cases := []struct {
		in    string
		depth int
		ids   []uint16
	}{
		{"/", 0, nil},
		{"/3", 1, []uint16{3}},
		{"/3/0", 2, []uint16{3, 0}},
		{"/3/0/1", 3, []uint16{3, 0, 1}},
		{"/3/0/6/1", 4, []uint16{3, 0, 6, 1}},
		{"/65534/65534/65534/65534", 4, []uint16{65534, 65534, 65534, 65534}},
		{"/0/10", 2, []uint16{0, 10}},
	}
	for _, c := range cases {
		p, err := ParsePath(c.in)
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", c.in, err)
		}
		if p.Len() != c.depth {
			t.Errorf("%q: depth %d, want %d", c.in, p.Len(), c.depth)
		}
		for i, id := range c.ids {
			if p.ID(i) != id {
				t.Errorf("%q: id %d = %d, want %d", c.in, i, p.ID(i), id)
			}
		}
		if p.String() != c.in {
			t.Errorf("%q: String() = %q", c.in, p.String())
		}
		q, err := PathFromSegments(p.Segments())
		if err != nil || q != p {
			t.Errorf("%q: segments round trip gave %v, %v", c.in, q, err)
		}
	}
}

func TestParsePathRejects(t *testing.T) {
	cases := map[string]string{
		"":             "empty",
		"3/0":          "does not start",
		"//3":          "empty segment",
		"/3/":          "empty segment",
		"/3//1":        "empty segment",
		"/03":          "leading zero",
		"/-1":          "not a decimal",
		"/+1":          "not a decimal",
		"/ 3":          "not a decimal",
		"/3/a":         "not a decimal",
		"/65535":       "reserved",
		"/65536":       "out of range",
		"/1234567":     "out of range",
		"/1/2/3/4/5":   "more than 4",
		"/3/0/1/2/":    "more than 4",
		"/3\x00":       "not a decimal",
		"/3/0/1?x=1":   "not a decimal",
		"/99999999999": "out of range",
	}
	for in, want := range cases {
		_, err := ParsePath(in)
		if err == nil {
			t.Errorf("ParsePath(%q) accepted", in)
			continue
		}
		if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ParsePath(%q): %v does not wrap ErrInvalidPath", in, err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePath(%q): %q does not say %q", in, err, want)
		}
	}
	if _, err := PathFromSegments([]string{"3", "", "1"}); err == nil {
		t.Error("PathFromSegments accepted an empty segment")
	}
	if _, err := PathFromSegments([]string{"1", "2", "3", "4", "5"}); err == nil {
		t.Error("PathFromSegments accepted 5 segments")
	}
	if _, err := NewPath(65535); err == nil {
		t.Error("NewPath accepted 65535")
	}
}

func TestPathRelations(t *testing.T) {
	p := MustPath("/3/0/6/1")
	if p.Parent() != MustPath("/3/0/6") || p.Parent().Parent().Parent().Parent() != Root {
		t.Error("Parent chain wrong")
	}
	if Root.Parent() != Root {
		t.Error("root's parent must be root")
	}
	if !p.HasPrefix(MustPath("/3/0")) || !p.HasPrefix(Root) || p.HasPrefix(MustPath("/3/1")) {
		t.Error("HasPrefix wrong")
	}
	if MustPath("/3").HasPrefix(MustPath("/3/0")) {
		t.Error("a parent has no child prefix")
	}
	if !MustPath("/3").Overlaps(MustPath("/3/0/1")) || MustPath("/3/1").Overlaps(MustPath("/3/0/1")) {
		t.Error("Overlaps wrong")
	}
	if MustPath("/3/0").Child(1) != MustPath("/3/0/1") {
		t.Error("Child wrong")
	}
	if p.Truncate(2) != MustPath("/3/0") || p.Truncate(9) != p || p.Truncate(0) != Root {
		t.Error("Truncate wrong")
	}
	order := []string{"/", "/1", "/1/0", "/1/0/1", "/1/1", "/3", "/3/0/6", "/3/0/6/0", "/3/0/6/1", "/3/0/7"}
	for i := 1; i < len(order); i++ {
		a, b := MustPath(order[i-1]), MustPath(order[i])
		if a.Compare(b) >= 0 || b.Compare(a) <= 0 || a.Compare(a) != 0 {
			t.Errorf("Compare(%s, %s) out of order", a, b)
		}
	}
	// Comparable: usable as map keys; the zero value is the root.
	m := map[Path]int{MustPath("/3/0"): 1}
	if m[InstancePath(3, 0)] != 1 || (Path{}) != Root {
		t.Error("paths must be comparable values")
	}
}

func TestPathText(t *testing.T) {
	var p Path
	if err := p.UnmarshalText([]byte("/5/0/1")); err != nil || p != ResourcePath(5, 0, 1) {
		t.Fatalf("UnmarshalText: %v %v", p, err)
	}
	if err := p.UnmarshalText([]byte("5/0")); err == nil {
		t.Fatal("UnmarshalText accepted a relative path")
	}
	b, _ := ResourceInstancePath(3, 0, 6, 1).MarshalText()
	if string(b) != "/3/0/6/1" {
		t.Fatalf("MarshalText = %s", b)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/", "/3", "/3/0", "/3/0/1", "/3/0/6/1", "/65534", "/65535", "//", "/03", "3/0", "/1/2/3/4/5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		// Anything accepted is canonical and round-trips.
		if p.String() != s {
			t.Fatalf("accepted %q but prints %q", s, p.String())
		}
		q, err := PathFromSegments(p.Segments())
		if err != nil || q != p {
			t.Fatalf("segments round trip of %q: %v %v", s, q, err)
		}
	})
}
