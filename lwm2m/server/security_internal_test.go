package server

import (
	"strings"
	"testing"
)

// TestOfferedIdentity: an untrusted PSK identity is shown as is when
// printable, quoted otherwise, and cut to maxReportedIdentity bytes.
func TestOfferedIdentity(t *testing.T) {
	for in, want := range map[string]string{
		"dev-1":       "dev-1",
		"a\x00b":      `"a\x00b"`,
		"\xff\xfe":    `"\xff\xfe"`,
		"line\nbreak": `"line\nbreak"`,
	} {
		if got := offeredIdentity([]byte(in)); got != want {
			t.Errorf("offeredIdentity(%q) = %s, want %s", in, got, want)
		}
	}
	long := offeredIdentity([]byte(strings.Repeat("x", 70000)))
	if want := strings.Repeat("x", maxReportedIdentity) + "…"; long != want {
		t.Errorf("a long identity is %d bytes", len(long))
	}
}
