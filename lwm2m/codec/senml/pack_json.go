package senml

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// JSONFormat reads and writes SenML JSON packs (RFC 8428 §5). The zero
// value is ready to use and safe for concurrent use.
type JSONFormat struct{}

const fmtJSON = lwm2m.FormatSenMLJSON

// DecodePack parses a SenML JSON pack. Syntax errors carry the byte offset.
// Unknown fields are ignored, except labels ending in "_", which RFC 8428
// §4.4 makes must-understand: they are an error. Errors wrap
// codec.ErrMalformed.
func (JSONFormat) DecodePack(data []byte) (Pack, error) {
	start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
	if start == len(data) || data[start] != '[' {
		return nil, codec.Malformed(fmtJSON, start, "a SenML pack is a JSON array")
	}
	var p Pack
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, jsonError(err)
	}
	// A must-understand label ends in '_' and so contains `_"`, unless it
	// is spelled with a \u escape; only then is the slower check needed.
	if bytes.Contains(data, []byte(`_"`)) || bytes.Contains(data, []byte(`\u`)) {
		if err := checkMustUnderstandJSON(data); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return codec.Malformed(fmtJSON, int(syn.Offset), "%s", syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "pack"
		}
		return codec.Malformed(fmtJSON, int(typ.Offset), "%s: a JSON %s cannot be %s", field, typ.Value, typ.Type)
	}
	return codec.Malformed(fmtJSON, -1, "%s", strings.TrimPrefix(err.Error(), "senml: "))
}

func checkMustUnderstandJSON(data []byte) error {
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(data, &recs); err != nil {
		return jsonError(err)
	}
	for i, m := range recs {
		if k := mustUnderstand(mapKeys(m)); k != "" {
			return codec.Malformed(fmtJSON, -1, "record %d: field %q must be understood and is not supported", i, k)
		}
	}
	return nil
}

func mapKeys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// mustUnderstand returns the alphabetically first label ending in '_'.
func mustUnderstand(keys []string) string {
	var hits []string
	for _, k := range keys {
		if strings.HasSuffix(k, "_") {
			hits = append(hits, k)
		}
	}
	if len(hits) == 0 {
		return ""
	}
	return slices.Min(hits)
}

// EncodePack writes p in the canonical form described in the package
// documentation. NaN and infinite numbers cannot be written in JSON.
func (JSONFormat) EncodePack(p Pack) ([]byte, error) {
	if len(p) == 0 {
		return []byte("[]"), nil
	}
	var buf bytes.Buffer
	buf.Grow(len(p) * 32)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, codec.NotRepresentable(fmtJSON, "%v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
