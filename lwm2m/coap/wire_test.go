package coap_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile(filepath.Join("testdata", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(s)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenDatagrams(t *testing.T) {
	tok := func(b ...byte) coap.Token { tk, _ := coap.TokenFromBytes(b); return tk }
	tests := []struct {
		name  string
		build func() *coap.Message
		check func(t *testing.T, m *coap.Message)
	}{
		{"register", func() *coap.Message {
			m := coap.NewRequest(coap.POST, "rd")
			m.MessageID, m.Token = 0x1234, tok(0xa1, 0xb2)
			m.AddQuery("ep=dev")
			m.Payload = []byte("</1/0>")
			return m
		}, func(t *testing.T, m *coap.Message) {
			if m.PathString() != "/rd" || m.Query()[0] != "ep=dev" || string(m.Payload) != "</1/0>" || !m.IsRequest() {
				t.Errorf("decoded %v", m)
			}
		}},
		{"created", func() *coap.Message {
			m := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeCreated, MessageID: 0x1234, Token: tok(0xa1, 0xb2)}
			m.SetLocationPath("rd", "5a3f")
			return m
		}, func(t *testing.T, m *coap.Message) {
			if lp := m.LocationPath(); len(lp) != 2 || lp[1] != "5a3f" || !m.IsResponse() {
				t.Errorf("decoded %v", m)
			}
		}},
		{"notification", func() *coap.Message {
			m := &coap.Message{Type: coap.NonConfirmable, Code: lwm2m.CodeContent, MessageID: 1, Token: tok(1), Payload: []byte{0x80}}
			m.SetObserve(0x102)
			m.SetContentFormat(lwm2m.FormatSenMLCBOR)
			return m
		}, func(t *testing.T, m *coap.Message) {
			if v, ok := m.Observe(); !ok || v != 0x102 || m.ContentFormat() != lwm2m.FormatSenMLCBOR {
				t.Errorf("decoded %v", m)
			}
		}},
		{"block1", func() *coap.Message {
			m := coap.NewRequest(coap.PUT, "5", "0", "0")
			m.MessageID, m.Token = 0x100, tok(0xff)
			m.SetBlock1(coap.Block{Num: 2, More: true, SZX: 6})
			m.Payload = []byte{0xde, 0xad, 0xbe, 0xef}
			return m
		}, func(t *testing.T, m *coap.Message) {
			if b, ok := m.Block1(); !ok || b.Num != 2 || !b.More || b.Size() != 1024 || b.Offset() != 2048 {
				t.Errorf("decoded block %v", b)
			}
		}},
		{"empty-ack", func() *coap.Message {
			return &coap.Message{Type: coap.Acknowledgement, MessageID: 0xbeef}
		}, func(t *testing.T, m *coap.Message) {
			if !m.IsEmpty() || m.Type != coap.Acknowledgement {
				t.Errorf("decoded %v", m)
			}
		}},
		{"reset", func() *coap.Message {
			return &coap.Message{Type: coap.Reset, MessageID: 7}
		}, func(t *testing.T, m *coap.Message) {
			if m.Type != coap.Reset || m.MessageID != 7 {
				t.Errorf("decoded %v", m)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := golden(t, tc.name)
			got, err := tc.build().Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encode:\n got %x\nwant %x", got, want)
			}
			m, err := coap.Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m)
			again, _ := m.Encode()
			if !bytes.Equal(again, want) {
				t.Fatalf("re-encode: %x", again)
			}
		})
	}
}

func TestDecodeErrorsNameTheOffset(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		want   string
	}{
		{"40", 0, "shorter than the 4-byte header"},
		{"80010000", 0, "version 2"},
		{"49010000", 0, "token length 9"},
		{"44010000aabb", 4, "token of 4 bytes truncated"},
		{"60000000ff", 4, "empty message"},
		{"402000000000", 1, "reserved class"},
		{"40010000ff", 4, "options"},
		{"40010000bd", 4, "options"},
	}
	for _, tc := range tests {
		b, _ := hex.DecodeString(tc.in)
		_, err := coap.Decode(b)
		var de *coap.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, coap.ErrMalformed) {
			t.Errorf("%s: got %v, want a DecodeError", tc.in, err)
			continue
		}
		if de.Offset != tc.offset || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %q at %d, want %q at %d", tc.in, err, de.Offset, tc.want, tc.offset)
		}
	}
}

func TestTokenText(t *testing.T) {
	tk, err := coap.ParseToken("0102a0ff")
	if err != nil || tk.Len() != 4 || tk.String() != "0102a0ff" {
		t.Fatalf("%v %v", tk, err)
	}
	if _, err := coap.TokenFromBytes(make([]byte, 9)); err == nil {
		t.Fatal("9-byte token accepted")
	}
	if b := (coap.Block{Num: 3, SZX: 2}); b.Offset() != 192 || b.String() != "3/0/64" {
		t.Fatalf("block %v", b)
	}
	if coap.SZXForSize(1500) != 6 || coap.SZXForSize(100) != 2 || coap.SZXForSize(5) != 0 {
		t.Fatal("SZXForSize")
	}
}

func FuzzDecode(f *testing.F) {
	for _, n := range []string{"register", "created", "notification", "block1", "empty-ack", "reset"} {
		f.Add(golden(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := coap.Decode(data)
		if err != nil {
			if !errors.Is(err, coap.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// Whatever decodes re-encodes and decodes to the same message.
		b, err := m.Encode()
		if err != nil {
			return // e.g. options go-coap accepts but will not emit
		}
		m2, err := coap.Decode(b)
		if err != nil {
			t.Fatalf("re-decode of %x: %v", b, err)
		}
		if m2.String() != m.String() || !bytes.Equal(m2.Payload, m.Payload) {
			t.Fatalf("round trip changed %v into %v", m, m2)
		}
		_, _ = m.Block1()
		_, _ = m.Block2()
		_ = m.Path()
	})
}
