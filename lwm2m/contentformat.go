package lwm2m

import (
	"fmt"
	"strconv"
	"strings"
)

// ContentFormat is a CoAP Content-Format number. FormatNone (-1) means "not
// given": the sender chooses.
type ContentFormat int32

// Content formats LwM2M uses (Core TS 1.1/1.2 §7, IANA CoAP registry).
const (
	FormatNone       ContentFormat = -1
	FormatText       ContentFormat = 0     // text/plain
	FormatLinkFormat ContentFormat = 40    // application/link-format
	FormatOpaque     ContentFormat = 42    // application/octet-stream
	FormatCBOR       ContentFormat = 60    // application/cbor (single values, 1.1)
	FormatSenMLJSON  ContentFormat = 110   // application/senml+json
	FormatSenMLCBOR  ContentFormat = 112   // application/senml+cbor
	FormatTLV        ContentFormat = 11542 // application/vnd.oma.lwm2m+tlv
	FormatLwM2MJSON  ContentFormat = 11543 // application/vnd.oma.lwm2m+json
	FormatLwM2MCBOR  ContentFormat = 11544 // application/vnd.oma.lwm2m+cbor (1.2)
	FormatLegacyTLV  ContentFormat = 1542  // pre-registration TLV number used by early 1.0 clients
	FormatLegacyJSON ContentFormat = 1543  // pre-registration JSON number used by early 1.0 clients
)

type formatInfo struct {
	f     ContentFormat
	name  string
	media string
}

var formats = []formatInfo{
	{FormatText, "text", "text/plain;charset=utf-8"},
	{FormatLinkFormat, "link", "application/link-format"},
	{FormatOpaque, "opaque", "application/octet-stream"},
	{FormatCBOR, "cbor", "application/cbor"},
	{FormatSenMLJSON, "senml-json", "application/senml+json"},
	{FormatSenMLCBOR, "senml-cbor", "application/senml+cbor"},
	{FormatTLV, "tlv", "application/vnd.oma.lwm2m+tlv"},
	{FormatLwM2MJSON, "lwm2m-json", "application/vnd.oma.lwm2m+json"},
	{FormatLwM2MCBOR, "lwm2m-cbor", "application/vnd.oma.lwm2m+cbor"},
	{FormatLegacyTLV, "tlv-legacy", "application/vnd.oma.lwm2m+tlv"},
	{FormatLegacyJSON, "lwm2m-json-legacy", "application/vnd.oma.lwm2m+json"},
}

func (f ContentFormat) info() (formatInfo, bool) {
	for _, fi := range formats {
		if fi.f == f {
			return fi, true
		}
	}
	return formatInfo{}, false
}

// Canonical maps the legacy 1.0 numbers to the registered ones.
func (f ContentFormat) Canonical() ContentFormat {
	switch f {
	case FormatLegacyTLV:
		return FormatTLV
	case FormatLegacyJSON:
		return FormatLwM2MJSON
	}
	return f
}

// String returns the short name ("tlv", "senml-cbor", …), the number for
// formats Shoal does not know, or "none".
func (f ContentFormat) String() string {
	if f == FormatNone {
		return "none"
	}
	if fi, ok := f.info(); ok {
		return fi.name
	}
	return strconv.Itoa(int(f))
}

// MediaType returns the media type, or "" when unknown.
func (f ContentFormat) MediaType() string {
	fi, _ := f.info()
	return fi.media
}

// Known reports whether f is one of the formats listed above.
func (f ContentFormat) Known() bool {
	_, ok := f.info()
	return ok
}

// ParseContentFormat accepts a short name ("tlv", "senml-json", "text", …;
// also "plain", "octet-stream", "link-format"), a media type, or a number.
func ParseContentFormat(s string) (ContentFormat, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "plain", "text/plain":
		return FormatText, nil
	case "octet-stream", "binary":
		return FormatOpaque, nil
	case "link-format", "corelnk":
		return FormatLinkFormat, nil
	case "json":
		return FormatLwM2MJSON, nil
	}
	for _, fi := range formats {
		if s == fi.name || s == fi.media {
			return fi.f, nil
		}
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return ContentFormat(n), nil
	}
	return FormatNone, fmt.Errorf("unknown content format %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (f ContentFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalJSON accepts a name, a media type or a number, as a JSON string
// or a JSON number.
func (f *ContentFormat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*f = FormatNone
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		unq, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("content format %s: %v", s, err)
		}
		s = unq
	}
	return f.UnmarshalText([]byte(s))
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *ContentFormat) UnmarshalText(b []byte) error {
	if string(b) == "none" || len(b) == 0 {
		*f = FormatNone
		return nil
	}
	v, err := ParseContentFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}
