package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedTableIsCurrent regenerates the table into a temporary file
// and compares it with the committed standard_gen.go, so the compiled-in
// models cannot drift from ddf/*.xml.
func TestGeneratedTableIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "standard_gen.go")
	var stderr bytes.Buffer
	if err := run([]string{"-out", out, "../../ddf"}, &stderr); err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../standard_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		gl, cl := strings.Split(string(got), "\n"), strings.Split(string(committed), "\n")
		for i := 0; i < len(gl) || i < len(cl); i++ {
			var g, c string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(cl) {
				c = cl[i]
			}
			if g != c {
				t.Fatalf("standard_gen.go is stale (run go generate ./objects); line %d:\ncommitted: %s\nregenerated: %s", i+1, c, g)
			}
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := generate("../../ddf")
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate("../../ddf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two runs differ")
	}
	if !bytes.HasPrefix(a, []byte("// Code generated ")) || !bytes.Contains(a, []byte("DO NOT EDIT.")) {
		t.Error("missing the generated-code header")
	}
}

func TestGenerateRejectsBadInput(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(nil, &stderr); err == nil || !strings.Contains(stderr.String(), "usage") {
		t.Errorf("run without a directory = %v, stderr %q", err, stderr.String())
	}
	if _, err := generate(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.xml files") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := generate("../../testdata/bad"); err == nil || !strings.Contains(err.Error(), "badtype.xml") {
		t.Errorf("bad dir: %v", err)
	}
	dir := t.TempDir()
	raw, err := os.ReadFile("../../ddf/3.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.xml", "b.xml"} {
		if err := os.WriteFile(filepath.Join(dir, n), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := generate(dir); err == nil || !strings.Contains(err.Error(), "object 3 version 1.2 is defined in both a.xml and b.xml") {
		t.Errorf("duplicate: %v", err)
	}
}
