// Package codec declares what every LwM2M content format implements — an
// Encoder and a Decoder, each working on single nodes and on flat
// (optionally timestamped, possibly multi-path) records — the errors they
// share, and a Registry keyed by content format. The formats themselves live
// in the sub-packages (text, opaque, tlv, senml, lwjson, lwcbor); the
// registry with all of them is assembled by package std.
package codec

import (
	"errors"
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
)

// ErrUnsupportedFormat: no codec is registered for the content format
// (maps to 4.15 Unsupported Content-Format).
var ErrUnsupportedFormat = errors.New("unsupported content format")

// ErrNotRepresentable: the format cannot carry this content, e.g. a whole
// instance as text/plain, or a timestamp in TLV (maps to 4.06 Not Acceptable
// when the server picked the format, 4.00 when a client sent it).
var ErrNotRepresentable = errors.New("content not representable in this format")

// ErrMalformed is wrapped by every decoding error (maps to 4.00 Bad Request).
var ErrMalformed = errors.New("malformed payload")

// Encoder turns nodes or records into a payload of one content format.
type Encoder interface {
	Format() lwm2m.ContentFormat
	// Encode encodes n, which lives at path p (the request's path).
	Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error)
	// EncodeRecords encodes flat records (composite operations, Send,
	// timestamped notifications). p is the request's path (the root for
	// composite operations); every record lies at or under it.
	EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error)
}

// Decoder turns a payload of one content format into nodes or records.
// Decoding is model-aware: m gives resource types (TLV needs them; the text
// formats use them to coerce). A resource m does not know decodes as the
// format's natural type (opaque for TLV) instead of failing the payload.
type Decoder interface {
	Format() lwm2m.ContentFormat
	// Decode decodes a payload addressed to path p into the node at p.
	Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error)
	// DecodeRecords decodes a payload into flat records with full paths.
	// p is the request's path (the root for composite operations and Send).
	DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error)
}

// Codec is both.
type Codec interface {
	Encoder
	Decoder
}

// DecodeError says what is wrong with a payload and where: a byte offset
// for binary formats (-1 when not meaningful) and a path when known.
type DecodeError struct {
	Format  lwm2m.ContentFormat
	Offset  int
	Path    lwm2m.Path
	HasPath bool
	Msg     string
}

// Error returns e.g. "tlv: offset 12: /3/0/1: length 300 exceeds payload".
func (e *DecodeError) Error() string {
	s := e.Format.String() + ": "
	if e.Offset >= 0 {
		s += fmt.Sprintf("offset %d: ", e.Offset)
	}
	if e.HasPath {
		s += e.Path.String() + ": "
	}
	return s + e.Msg
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

// Malformed returns a *DecodeError at a byte offset (-1 for none).
func Malformed(f lwm2m.ContentFormat, offset int, format string, args ...any) error {
	return &DecodeError{Format: f, Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

// MalformedAt returns a *DecodeError naming a path.
func MalformedAt(f lwm2m.ContentFormat, offset int, p lwm2m.Path, format string, args ...any) error {
	return &DecodeError{Format: f, Offset: offset, Path: p, HasPath: true, Msg: fmt.Sprintf(format, args...)}
}

// NotRepresentable wraps ErrNotRepresentable with a reason.
func NotRepresentable(f lwm2m.ContentFormat, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", f, ErrNotRepresentable, fmt.Sprintf(format, args...))
}

// StatusCode maps a codec error to the CoAP code a server answers a device
// with when the device's payload fails: 4.15 for an unknown format, 4.00
// for malformed or unrepresentable content.
func StatusCode(err error) lwm2m.Code {
	switch {
	case err == nil:
		return lwm2m.CodeChanged
	case errors.Is(err, ErrUnsupportedFormat):
		return lwm2m.CodeUnsupportedContentFormat
	}
	return lwm2m.CodeBadRequest
}
