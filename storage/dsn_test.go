package storage

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

type dsnCase struct{ in, backend, want string }

func dsnGolden(t testing.TB) []dsnCase {
	f, err := os.Open("testdata/dsn.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []dsnCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("testdata/dsn.golden: bad line %q", line)
		}
		cases = append(cases, dsnCase{parts[0], parts[1], parts[2]})
	}
	return cases
}

func TestParseDSNGolden(t *testing.T) {
	for _, c := range dsnGolden(t) {
		backend, target, err := ParseDSN(c.in)
		if c.backend == "error" {
			if !errors.Is(err, ErrDSN) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseDSN(%q) error %v, want ErrDSN mentioning %q", c.in, err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseDSN(%q) leaks the password: %v", c.in, err)
			}
			continue
		}
		if err != nil || backend != c.backend || target != c.want {
			t.Errorf("ParseDSN(%q) = %q, %q, %v; want %q, %q", c.in, backend, target, err, c.backend, c.want)
		}
	}
}

func TestDefaultDSN(t *testing.T) {
	b, target, err := ParseDSN(DefaultDSN("./shoal-data"))
	if err != nil || b != BackendSQLite || target != "shoal-data/shoal.db" {
		t.Errorf("DefaultDSN parses to %q %q %v", b, target, err)
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, c := range dsnGolden(f) {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		backend, target, err := ParseDSN(dsn)
		if err != nil {
			if !errors.Is(err, ErrDSN) {
				t.Fatalf("error %v does not wrap ErrDSN", err)
			}
			return
		}
		if target == "" || (backend != BackendSQLite && backend != BackendPostgres) {
			t.Fatalf("ParseDSN(%q) = %q, %q", dsn, backend, target)
		}
	})
}

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 62} {
		got, err := decodeCursor(encodeCursor(id))
		if err != nil || got != id {
			t.Errorf("cursor of %d decodes to %d, %v", id, got, err)
		}
	}
	for _, bad := range []string{"x", "Yzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "YzA", "Yy0x", "====", "Yw"} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(encodeCursor(7))
	f.Add("garbage!")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := decodeCursor(s)
		if err == nil && s != "" && (id <= 0 || encodeCursor(id) != s) {
			t.Fatalf("cursor %q decoded to %d which encodes to %q", s, id, encodeCursor(id))
		}
	})
}
