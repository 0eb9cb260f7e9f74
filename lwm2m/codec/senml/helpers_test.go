package senml_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

var update = flag.Bool("update", false, "write missing canonical golden files from the encoder's output")

// readGolden reads testdata/name; ".hex" files are hex text with '#'
// comment lines, decoded to bytes.
func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".hex") {
		b, err := parseHex(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return b
	}
	return data
}

func parseHex(data []byte) ([]byte, error) {
	var h strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		h.WriteString(strings.Join(strings.Fields(line), ""))
	}
	return hex.DecodeString(h.String())
}

// writeGolden writes a golden file (hex with a header comment for ".hex").
func writeGolden(t testing.TB, name string, data []byte, comment string) {
	t.Helper()
	if strings.HasSuffix(name, ".hex") {
		var b strings.Builder
		for _, c := range strings.Split(comment, "\n") {
			b.WriteString("# " + c + "\n")
		}
		h := hex.EncodeToString(data)
		for len(h) > 64 {
			b.WriteString(h[:64] + "\n")
			h = h[64:]
		}
		b.WriteString(h + "\n")
		data = []byte(b.String())
	}
	if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(name string) bool {
	_, err := os.Stat(filepath.Join("testdata", name))
	return err == nil
}

// loadRecords reads a ".records" file: one record per line, tab-separated
// path, type, time and value text ('#' starts a comment line). The time is
// "-" (none), "now+N"/"now-N" seconds from fixedNow, Unix seconds, or RFC
// 3339; the value is in lwm2m.ParseValue's text form.
func loadRecords(t testing.TB, name string) []lwm2m.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []lwm2m.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 4)
		if len(f) != 4 {
			t.Fatalf("%s:%d: want 4 tab-separated fields", name, ln)
		}
		p, err := lwm2m.ParsePath(f[0])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, ln, err)
		}
		typ, err := lwm2m.ParseType(f[1])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, ln, err)
		}
		ts, err := parseTestTime(f[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, ln, err)
		}
		v, err := lwm2m.ParseValue(typ, f[3])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, ln, err)
		}
		out = append(out, lwm2m.Record{Path: p, Value: v, Time: ts})
	}
	return out
}

func parseTestTime(s string) (time.Time, error) {
	switch {
	case s == "-":
		return time.Time{}, nil
	case strings.HasPrefix(s, "now"):
		n, err := strconv.ParseInt(s[3:], 10, 64)
		return fixedNow.Add(time.Duration(n) * time.Second), err
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// diffRecords describes the first difference between two record lists.
func diffRecords(got, want []lwm2m.Record) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		g, w := got[i], want[i]
		if g.Path != w.Path || !g.Value.Equal(w.Value) || !g.Time.Equal(w.Time) {
			return fmt.Sprintf("record %d: got %s %s %s=%v, want %s %s %s=%v", i,
				g.Path, fmtTime(g.Time), g.Value.Type(), g.Value, w.Path, fmtTime(w.Time), w.Value.Type(), w.Value)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d records, want %d", len(got), len(want))
	}
	return ""
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
