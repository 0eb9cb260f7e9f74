package sim

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// describe renders a parse result for the golden file.
func describe(line string) string {
	cmd, err := parseCommand(line)
	if err != nil {
		return fmt.Sprintf("%q -> error: %v", line, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q -> %q", line, cmd.name)
	for _, p := range cmd.paths {
		fmt.Fprintf(&b, " path=%s", p)
	}
	if cmd.text != "" {
		fmt.Fprintf(&b, " text=%q", cmd.text)
	}
	if cmd.n != 0 {
		fmt.Fprintf(&b, " n=%d", cmd.n)
	}
	if cmd.fail != 0 {
		fmt.Fprintf(&b, " fail=%d", cmd.fail)
	}
	return b.String()
}

func readLines(t testing.TB, name string) []string {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestParseCommandGolden parses every line of testdata/commands.txt and
// compares with testdata/commands.golden (go test -update rewrites it).
func TestParseCommandGolden(t *testing.T) {
	var b strings.Builder
	for _, line := range readLines(t, "testdata/commands.txt") {
		b.WriteString(describe(line) + "\n")
	}
	const golden = "testdata/commands.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("parse results differ from %s:\n%s", golden, got)
	}
}

// FuzzParseCommand: any line parses or fails with ErrCommand, never
// panics, and a parsed command carries what its name needs.
func FuzzParseCommand(f *testing.F) {
	for _, line := range readLines(f, "testdata/commands.txt") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := parseCommand(line)
		if err != nil {
			return
		}
		switch cmd.name {
		case "get", "attrs", "set":
			if len(cmd.paths) != 1 {
				t.Fatalf("%q parsed with %d paths", line, len(cmd.paths))
			}
		case "send":
			if len(cmd.paths) == 0 {
				t.Fatalf("%q parsed without paths", line)
			}
		case "tick":
			if cmd.n < 1 || cmd.n > 10000 {
				t.Fatalf("%q parsed with count %d", line, cmd.n)
			}
		}
		for _, p := range cmd.paths {
			if p.IsRoot() {
				t.Fatalf("%q parsed with the root path", line)
			}
		}
	})
}
