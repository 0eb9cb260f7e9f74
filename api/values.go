package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/shoal-iot/shoal/lwm2m"
)

// valueParser turns the JSON a caller writes into typed LwM2M data, using
// the object model to give every leaf its LwM2M type. Leaves may be
// written naturally (42, "text", true, "2026-01-02T03:04:05Z") or typed
// ({"type":"integer","value":42}); where the model knows the resource, the
// value is coerced to the model's type, and a value that does not fit is a
// fieldError naming the member and the LwM2M path.
type valueParser struct {
	models lwm2m.ModelProvider
}

// resourceModel returns the model of the resource p (a resource or
// resource-instance path) names, if known.
func (vp valueParser) resourceModel(p lwm2m.Path) (*lwm2m.ResourceModel, bool) {
	return lwm2m.ResourceModelAt(vp.models, p)
}

// leaf parses one value at p (a resource or resource-instance path).
// explicit is a type the caller named outside raw (nil: none).
func (vp valueParser) leaf(field string, p lwm2m.Path, raw json.RawMessage, explicit *lwm2m.Type) (lwm2m.Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var typed struct {
			Type  *string         `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &typed); err != nil || typed.Type == nil {
			return lwm2m.Value{}, badPathField(field, p.String(), "expected a value or {\"type\":…, \"value\":…}")
		}
		t, err := lwm2m.ParseType(*typed.Type)
		if err != nil {
			return lwm2m.Value{}, badPathField(joinField(field, "type"), p.String(), "%v", err)
		}
		explicit, raw = &t, bytes.TrimSpace(typed.Value)
	}
	if len(raw) > 0 && raw[0] == '[' {
		return lwm2m.Value{}, badPathField(field, p.String(), "expected a single value, got a JSON array")
	}
	rm, known := vp.resourceModel(p)
	var t lwm2m.Type
	switch {
	case known && rm.Type == lwm2m.TypeNone:
		return lwm2m.Value{}, badPathField(field, p.String(), "%s is executable and holds no value", describe(rm))
	case known:
		t = rm.Type
	case explicit != nil:
		t = *explicit
	default:
		t = inferType(raw)
	}
	src := t
	if explicit != nil {
		src = *explicit
	}
	v, err := valueFromJSON(src, raw)
	if err == nil && src != t {
		v, err = v.Convert(t)
	}
	if err != nil {
		if known {
			return lwm2m.Value{}, badPathField(field, p.String(), "%s expects %s: %v", describe(rm), t, trimValueErr(err))
		}
		return lwm2m.Value{}, badPathField(field, p.String(), "%v", trimValueErr(err))
	}
	return v, nil
}

// valueFromJSON is lwm2m.ValueFromJSON, plus the natural coercion of a JSON
// number or boolean into a string resource.
func valueFromJSON(t lwm2m.Type, raw json.RawMessage) (lwm2m.Value, error) {
	if (t == lwm2m.TypeString || t == lwm2m.TypeCorelnk) && len(raw) > 0 && raw[0] != '"' && raw[0] != 'n' {
		var x any
		if json.Unmarshal(raw, &x) == nil {
			switch x.(type) {
			case float64, bool:
				return lwm2m.ParseValue(t, string(raw))
			}
		}
	}
	return lwm2m.ValueFromJSON(t, raw)
}

// inferType picks a type for a resource no model describes, from the JSON
// form of its value.
func inferType(raw json.RawMessage) lwm2m.Type {
	if len(raw) == 0 {
		return lwm2m.TypeNone
	}
	switch raw[0] {
	case '"':
		return lwm2m.TypeString
	case 't', 'f':
		return lwm2m.TypeBoolean
	case 'n':
		return lwm2m.TypeNone
	}
	if bytes.ContainsAny(raw, ".eE") {
		return lwm2m.TypeFloat
	}
	if raw[0] != '-' {
		if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
			return lwm2m.TypeUnsigned
		}
	}
	return lwm2m.TypeInteger
}

// describe names a resource for messages: "resource Current Time".
func describe(rm *lwm2m.ResourceModel) string {
	if rm == nil || rm.Name == "" {
		return "the resource"
	}
	return fmt.Sprintf("resource %q", rm.Name)
}

// trimValueErr drops the "invalid value: " prefix lwm2m puts on its errors;
// the problem document already says the input is invalid.
func trimValueErr(err error) string {
	s := err.Error()
	if rest, ok := bytes.CutPrefix([]byte(s), []byte(lwm2m.ErrInvalidValue.Error()+": ")); ok {
		return string(rest)
	}
	return s
}
