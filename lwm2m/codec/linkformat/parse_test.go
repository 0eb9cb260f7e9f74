package linkformat

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// wantDecodeError checks that err is a link-format DecodeError at offset
// whose message contains msg.
func wantDecodeError(t *testing.T, err error, offset int, msg string) {
	t.Helper()
	var de *codec.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, codec.ErrMalformed) {
		t.Fatalf("err = %v, want a malformed-payload DecodeError", err)
	}
	if de.Format != lwm2m.FormatLinkFormat {
		t.Errorf("format = %v", de.Format)
	}
	if de.Offset != offset {
		t.Errorf("offset = %d, want %d (%v)", de.Offset, offset, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not say %q", err, msg)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{"</a", 0, "no closing '>'"},
		{"/a>", 0, "expected '<' to start a link"},
		{",</a>", 0, "expected '<' to start a link, found ','"},
		{"</a>;", 5, "expected a parameter name after ';', found the end"},
		{"</a>;=x", 5, "expected a parameter name after ';', found '='"},
		{"</a>;t=", 7, `parameter "t" has '=' but no value`},
		{"</a>;t=,</b>", 7, `parameter "t" has '=' but no value`},
		{`</a>;t="abc`, 7, "quoted string has no closing"},
		{`</a>;t="ab\`, 10, `'\' at the end of a quoted string`},
		{"</a> </b>", 5, "expected ',' or ';' after link </a>, found '<'"},
		{"</a>,", 5, "trailing ',' without a link"},
		{"</a>, ,</b>", 6, "expected '<' to start a link, found ','"},
		{"</a>;t=x y", 9, "found 'y'"},
		{"</a b>", 3, "byte ' ' not allowed in a link target"},
		{"</a<b>", 3, "byte '<' not allowed"},
		{"</a>;t=\"\xff\"", 8, "invalid UTF-8"},
		{"</a>;t=\"a\x01\"", 9, "control byte 0x1"},
		{"</a>;t=\"a\\\x02\"", 10, "control byte 0x2"},
		{"</a>;t=é", 7, "has '=' but no value"},
		{"</a>;t=\"x\"y", 10, "found 'y'"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			links, err := Parse([]byte(c.in))
			if links != nil {
				t.Errorf("links returned with an error: %+v", links)
			}
			wantDecodeError(t, err, c.offset, c.msg)
		})
	}
}

func TestParseCaps(t *testing.T) {
	many := func(n int) []byte {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "</%d>", i)
		}
		return []byte(b.String())
	}
	links, err := Parse(many(MaxLinks))
	if err != nil || len(links) != MaxLinks {
		t.Fatalf("%d links: %d, %v", MaxLinks, len(links), err)
	}
	_, err = Parse(many(MaxLinks + 1))
	wantDecodeError(t, err, len(many(MaxLinks))+1, "more than 10000 links")

	params := func(n int) []byte {
		return []byte("</a>" + strings.Repeat(";p", n))
	}
	links, err = Parse(params(MaxParams))
	if err != nil || len(links[0].Params) != MaxParams {
		t.Fatalf("%d params: %v", MaxParams, err)
	}
	_, err = Parse(params(MaxParams + 1))
	wantDecodeError(t, err, 4+2*MaxParams+1, "more than 64 parameters")
}

func TestParseSharesNoInput(t *testing.T) {
	in := []byte(`</3/0>;ver="1.1"`)
	links, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	copy(in, "XXXXXXXXXXXXXXXX")
	if links[0].Target != "/3/0" || links[0].Params[0].Value != "1.1" {
		t.Fatalf("parsed strings alias the input: %+v", links)
	}
}

func TestFormatQuoting(t *testing.T) {
	links := []lwm2m.Link{{Target: "/x", Params: []lwm2m.LinkParam{
		{Name: "rt", Value: "oma.lwm2m", HasValue: true},
		{Name: "ct", Value: "60 110", HasValue: true},
		{Name: "ct", Value: "40", HasValue: true},
		{Name: "v", Value: `a"b\c`, HasValue: true},
		{Name: "e", HasValue: true},
		{Name: "obs"},
		{Name: "u", Value: "a,b;c", HasValue: true},
		{Name: "uri", Value: "coap://h:5683", HasValue: true},
	}}}
	want := `</x>;rt="oma.lwm2m";ct="60 110";ct=40;v="a\"b\\c";e="";obs;u="a,b;c";uri="coap://h:5683"`
	if got := string(Format(links)); got != want {
		t.Fatalf("Format:\n got %s\nwant %s", got, want)
	}
	if got := Format(nil); len(got) != 0 {
		t.Fatalf("Format(nil) = %q", got)
	}
}
