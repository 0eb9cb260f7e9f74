package client

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

// seeds reads testdata/<name>: one case per line, "#" starts a comment.
func seeds(f *testing.F, name string) []string {
	fh, err := os.Open("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// FuzzParseExecArgs: Execute arguments come straight from the server.
func FuzzParseExecArgs(f *testing.F) {
	for _, s := range seeds(f, "execargs.txt") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := ParseExecArgs(s)
		if err != nil {
			if !strings.Contains(err.Error(), "offset") {
				t.Fatalf("%q: error without an offset: %v", s, err)
			}
			return
		}
		if len(args) > 10 {
			t.Fatalf("%q: %d arguments from 10 digits", s, len(args))
		}
	})
}

// FuzzParseRange: ranges come from user-supplied DDF files.
func FuzzParseRange(f *testing.F) {
	for _, s := range seeds(f, "ranges.txt") {
		f.Add(s, 42.0)
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		r := parseRange(s)
		_ = r.check(lwm2m.FloatValue(x))
		_ = r.check(lwm2m.StringValue(s))
		_ = r.check(lwm2m.OpaqueValue([]byte(s)))
	})
}

// TestExecArgsGolden checks every seed case: valid ones parse, invalid
// ones fail naming an offset.
func TestExecArgsGolden(t *testing.T) {
	valid := map[string]int{"": 0, "0": 1, "0,1": 2, "0='http://127.0.0.1/fw.bin'": 1, "0='a',1='b',2": 3, "9=''": 1}
	b, err := os.ReadFile("testdata/execargs.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		args, err := ParseExecArgs(line)
		if n, ok := valid[line]; ok {
			if err != nil || len(args) != n {
				t.Errorf("%q: %v %v, want %d arguments", line, args, err, n)
			}
		} else if err == nil {
			t.Errorf("%q parsed as %v, want an error", line, args)
		}
	}
}

// imageVersionCases reads testdata/imageversions.txt: a quoted image, a
// tab and the quoted version it names.
func imageVersionCases(tb testing.TB) (images [][]byte, versions []string) {
	tb.Helper()
	b, err := os.ReadFile("testdata/imageversions.txt")
	if err != nil {
		tb.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		img, want, ok := strings.Cut(line, "\t")
		uimg, err1 := strconv.Unquote(img)
		uwant, err2 := strconv.Unquote(want)
		if !ok || err1 != nil || err2 != nil {
			tb.Fatalf("imageversions.txt line %d: %q", i+1, line)
		}
		images, versions = append(images, []byte(uimg)), append(versions, uwant)
	}
	return images, versions
}

func TestImageVersion(t *testing.T) {
	images, versions := imageVersionCases(t)
	for i, img := range images {
		if got := ImageVersion(img); got != versions[i] {
			t.Errorf("ImageVersion(%q) = %q, want %q", img, got, versions[i])
		}
	}
}

// FuzzImageVersion: images come from whoever uploaded them. A version is
// only ever the image's own first line, bounded and printable.
func FuzzImageVersion(f *testing.F) {
	images, _ := imageVersionCases(f)
	for _, img := range images {
		f.Add(img)
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		v := ImageVersion(img)
		if v == "" {
			return
		}
		if len(v) > maxImageVersion || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
			t.Fatalf("%q: version %q is too long or unprintable", img, v)
		}
		if !strings.HasPrefix(string(img), "version="+v+"\n") {
			t.Fatalf("%q: version %q is not the first line", img, v)
		}
	})
}
