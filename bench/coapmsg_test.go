package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

// A Register as the generator builds it: CON POST, MID 0x0102, an 8-byte
// token, Uri-Path "rd", Content-Format 40, four Uri-Query options and a
// link-format payload.
func TestRegisterGolden(t *testing.T) {
	d := &device{ep: "bench-7", mid: 0x0101, tok: 0x0a0b0c0d00000000 - 1}
	got := registerPhase{lifetime: 300}.next(d)
	want := golden(t, "register.hex")
	if !bytes.Equal(got, want) {
		t.Fatalf("register datagram\n got %x\nwant %x", got, want)
	}
	m, err := parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if m.code != codePOST || m.mid != 0x0102 || m.path() != "/rd" || string(m.payload) != "</1/0>,</3/0>,</3303/0>" {
		t.Fatalf("parsed %+v", m)
	}
	var q []string
	for _, o := range m.opts {
		if o.num == optURIQuery {
			q = append(q, string(o.val))
		}
	}
	if strings.Join(q, "&") != "ep=bench-7&lt=300&lwm2m=1.1&b=U" {
		t.Fatalf("queries %q", q)
	}
}

func TestParseErrorsNameTheByte(t *testing.T) {
	for _, c := range []struct{ in, where string }{
		{"40", "bytes, the header needs 4"},
		{"8001 0000", "byte 0: version 2"},
		{"4901 0000", "token length 9"},
		{"4201 0000 aa", "byte 4: token of 2 bytes"},
		{"4001 0000 b5 7264", "byte 4: option value of 5 bytes"},
		{"4001 0000 f0", "byte 4: option delta nibble 15"},
		{"4001 0000 ff", "byte 4: payload marker"},
	} {
		b, _ := hex.DecodeString(strings.ReplaceAll(c.in, " ", ""))
		_, err := parse(b)
		if !errors.Is(err, errMessage) || !strings.Contains(err.Error(), c.where) {
			t.Errorf("%s: %v, want %q", c.in, err, c.where)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"register.hex", "notify.hex"} {
		f.Add(golden(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parse(b)
		if err != nil {
			return
		}
		// What parses re-encodes to a datagram that parses to the same.
		m2, err := parse(m.encode(nil))
		if err != nil || m2.code != m.code || m2.mid != m.mid || !bytes.Equal(m2.token, m.token) ||
			len(m2.opts) != len(m.opts) || !bytes.Equal(m2.payload, m.payload) {
			t.Fatalf("round trip of %x: %+v vs %+v (%v)", b, m, m2, err)
		}
	})
}

func golden(tb testing.TB, name string) []byte {
	tb.Helper()
	s, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(s)), ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
