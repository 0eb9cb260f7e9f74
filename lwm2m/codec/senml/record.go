package senml

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPack is wrapped by errors about a pack's meaning (as opposed to
// its syntax): an unsupported version, several values in one record, a
// must-understand field.
var ErrInvalidPack = errors.New("invalid SenML pack")

// Record is one SenML record (RFC 8428 §4) plus LwM2M's object-link value.
// Absent fields are the zero value: nil pointers, a nil Data, an absent
// Number, an empty string for the name and unit fields (where absent and
// empty mean the same). The struct tags give the JSON labels and the CBOR
// integer labels of RFC 8428 §6; field order is the canonical key order.
type Record struct {
	BaseName    *string `json:"bn,omitempty" cbor:"-2,keyasint,omitempty"`
	BaseTime    Number  `json:"bt,omitzero" cbor:"-3,keyasint,omitzero"`
	BaseUnit    string  `json:"bu,omitempty" cbor:"-4,keyasint,omitempty"`
	BaseValue   Number  `json:"bv,omitzero" cbor:"-5,keyasint,omitzero"`
	BaseSum     Number  `json:"bs,omitzero" cbor:"-6,keyasint,omitzero"`
	BaseVersion int     `json:"bver,omitempty" cbor:"-1,keyasint,omitempty"`
	Name        string  `json:"n,omitempty" cbor:"0,keyasint,omitempty"`
	Unit        string  `json:"u,omitempty" cbor:"1,keyasint,omitempty"`
	Time        Number  `json:"t,omitzero" cbor:"6,keyasint,omitzero"`
	UpdateTime  Number  `json:"ut,omitzero" cbor:"7,keyasint,omitzero"`
	Value       Number  `json:"v,omitzero" cbor:"2,keyasint,omitzero"`
	StringValue *string `json:"vs,omitempty" cbor:"3,keyasint,omitempty"`
	BoolValue   *bool   `json:"vb,omitempty" cbor:"4,keyasint,omitempty"`
	DataValue   Data    `json:"vd,omitzero" cbor:"8,keyasint,omitzero"`
	ObjectLink  *string `json:"vlo,omitempty" cbor:"vlo,omitempty"`
	Sum         Number  `json:"s,omitzero" cbor:"5,keyasint,omitzero"`
}

// Pack is a SenML pack: an ordered list of records.
type Pack []Record

// DefaultVersion is the SenML version a pack has when it gives no bver
// (RFC 8428 §4.4); packs asking for a later version are refused.
const DefaultVersion = 10

// Ptr returns a pointer to v, for the optional string and bool fields.
func Ptr[T any](v T) *T { return &v }

// valueFields lists the value fields r carries (v, vs, vb, vd, vlo), for
// checks and error messages; the sum s is not a value field.
func (r *Record) valueFields() []string {
	var f []string
	if r.Value.Present() {
		f = append(f, "v")
	}
	if r.StringValue != nil {
		f = append(f, "vs")
	}
	if r.BoolValue != nil {
		f = append(f, "vb")
	}
	if r.DataValue != nil {
		f = append(f, "vd")
	}
	if r.ObjectLink != nil {
		f = append(f, "vlo")
	}
	return f
}

// valueCount is len(r.valueFields()) without allocating.
func (r *Record) valueCount() int {
	n := 0
	if r.Value.Present() {
		n++
	}
	if r.StringValue != nil {
		n++
	}
	if r.BoolValue != nil {
		n++
	}
	if r.DataValue != nil {
		n++
	}
	if r.ObjectLink != nil {
		n++
	}
	return n
}

// Data is the vd field: opaque bytes, base64url without padding in JSON
// (RFC 8428 §4.3) and a byte string in CBOR. Nil means absent; an empty,
// non-nil Data is an empty value.
type Data []byte

// IsZero reports whether the field is absent.
func (d Data) IsZero() bool { return d == nil }

// MarshalJSON writes base64url without padding.
func (d Data) MarshalJSON() ([]byte, error) {
	if d == nil {
		return []byte("null"), nil
	}
	out := make([]byte, 0, base64.RawURLEncoding.EncodedLen(len(d))+2)
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, d)
	return append(out, '"'), nil
}

// UnmarshalJSON reads base64url; padding and the standard alphabet are
// accepted too, since some encoders produce them.
func (d *Data) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = nil
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return fmt.Errorf("senml: vd must be a base64url string")
	}
	s = s[1 : len(s)-1]
	if strings.ContainsRune(s, '\\') {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("senml: vd: %v", err)
		}
	}
	s = strings.TrimRight(s, "=")
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		enc = base64.RawStdEncoding
	}
	out, err := enc.DecodeString(s)
	if err != nil {
		return fmt.Errorf("senml: vd is not base64url: %v", err)
	}
	if out == nil {
		out = []byte{}
	}
	*d = out
	return nil
}
