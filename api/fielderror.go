package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errBadInput is wrapped by every fieldError so the problem mapper can tell
// input the caller got wrong from everything else.
var errBadInput = errors.New("bad input")

// fieldError is input the caller got wrong, naming where: a body member
// ("value.14", "credentials.psk_key"), a query parameter ("timeout") or a
// route variable ("path"). Path is the LwM2M path concerned, when one is.
type fieldError struct {
	Field string
	Path  string
	Msg   string
}

func (e *fieldError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *fieldError) Unwrap() error { return errBadInput }

// badField returns a fieldError for field with a formatted message.
func badField(field, format string, args ...any) error {
	return &fieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// badPathField returns a fieldError that also names an LwM2M path.
func badPathField(field, path, format string, args ...any) error {
	return &fieldError{Field: field, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// joinField appends a member name to a dotted field name.
func joinField(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// decodeJSON decodes one JSON document from r into v, refusing unknown
// members and trailing data, and turns decoding errors into fieldErrors
// that say which member (or byte offset) is wrong.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	if dec.More() {
		return badField("body", "unexpected data after the JSON document (offset %d)", dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return badField("body", "unexpected data after the JSON document (offset %d)", dec.InputOffset())
	}
	return nil
}

// jsonFieldError names the member a json decoding error is about.
func jsonFieldError(err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return badField("body", "empty; a JSON document is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badField("body", "truncated JSON document")
	case errors.As(err, &syn):
		return badField("body", "malformed JSON at offset %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return badField(field, "expected %s, got JSON %s", typ.Type, typ.Value)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return badField(strings.Trim(name, `"`), "unknown member")
	}
	// Errors from UnmarshalJSON/UnmarshalText methods (paths, formats,
	// durations, values) do not say which member they belong to.
	return badField("body", "%s", strings.TrimPrefix(msg, "json: "))
}
