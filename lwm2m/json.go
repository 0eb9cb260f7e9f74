package lwm2m

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The JSON shapes below are Shoal's stable, documented representation of
// LwM2M data (REST API, CLI, `shoal decode`). Values keep their LwM2M type:
//
//	{"type":"integer","value":42}
//	{"type":"opaque","value":"AQID"}                  base64
//	{"type":"time","value":"2026-01-02T03:04:05Z"}    RFC 3339
//	{"type":"objlnk","value":"3:0"}
//	{"type":"float","value":"NaN"}                    NaN and ±Inf as strings
//	{"type":"none","value":null}
//
// Nodes add "kind" and "id"; objects list "instances", instances list
// "resources", multiple resources list "instances" (resource instances):
//
//	{"kind":"instance","id":0,"resources":[
//	  {"kind":"resource","id":0,"type":"string","value":"Shoal"},
//	  {"kind":"multiple","id":6,"instances":[
//	    {"kind":"resource-instance","id":0,"type":"integer","value":1}]}]}
//
// Records are {"path":"/3/0/9","type":"integer","value":80,"time":"…"}
// with "time" omitted when not timestamped.

// JSON returns the value's JSON representation without its type.
func (v Value) JSON() any {
	switch v.typ {
	case TypeString, TypeCorelnk:
		return v.str
	case TypeInteger:
		return int64(v.num)
	case TypeUnsigned:
		return v.num
	case TypeFloat:
		f := math.Float64frombits(v.num)
		switch {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "+Inf"
		case math.IsInf(f, -1):
			return "-Inf"
		}
		return f
	case TypeBoolean:
		return v.num != 0
	case TypeOpaque:
		return base64.StdEncoding.EncodeToString(v.raw)
	case TypeTime:
		return time.Unix(int64(v.num), 0).UTC().Format(time.RFC3339)
	case TypeObjlnk:
		return v.Text()
	}
	return nil
}

// ValueFromJSON converts a JSON value (as produced by JSON, or the natural
// JSON for the type: a number for a time means Unix seconds, true/false or
// 0/1 for a boolean) to a value of type t.
func ValueFromJSON(t Type, raw json.RawMessage) (Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		if t == TypeNone {
			return NoneValue(), nil
		}
		return Value{}, fmt.Errorf("%w: missing %s value", ErrInvalidValue, t)
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Value{}, fmt.Errorf("%w: %v", ErrInvalidValue, err)
		}
		if t == TypeFloat {
			switch s {
			case "NaN":
				return FloatValue(math.NaN()), nil
			case "+Inf", "Inf":
				return FloatValue(math.Inf(1)), nil
			case "-Inf":
				return FloatValue(math.Inf(-1)), nil
			}
		}
		return ParseValue(t, s)
	}
	switch t {
	case TypeBoolean:
		switch string(raw) {
		case "true", "1":
			return BoolValue(true), nil
		case "false", "0":
			return BoolValue(false), nil
		}
		return Value{}, fmt.Errorf("%w: %s is not a boolean", ErrInvalidValue, raw)
	case TypeInteger, TypeUnsigned, TypeFloat, TypeTime:
		s := string(raw)
		if t == TypeFloat {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return Value{}, fmt.Errorf("%w: %s is not a number", ErrInvalidValue, raw)
			}
			return FloatValue(f), nil
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return IntValue(i).Convert(t)
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return UintValue(u).Convert(t)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return FloatValue(f).Convert(t)
		}
		return Value{}, fmt.Errorf("%w: %s is not a number", ErrInvalidValue, raw)
	}
	return Value{}, fmt.Errorf("%w: %s is not a JSON string, as a %s value must be", ErrInvalidValue, raw, t)
}

type jsonValue struct {
	Type  Type            `json:"type"`
	Value json.RawMessage `json:"value"`
}

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	val, err := json.Marshal(v.JSON())
	if err != nil {
		return nil, err
	}
	return json.Marshal(jsonValue{Type: v.typ, Value: val})
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	var j jsonValue
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	x, err := ValueFromJSON(j.Type, j.Value)
	if err != nil {
		return err
	}
	*v = x
	return nil
}

type jsonNode struct {
	Kind      string          `json:"kind"`
	ID        uint16          `json:"id"`
	Type      *Type           `json:"type,omitempty"`
	Value     json.RawMessage `json:"value,omitempty"`
	Instances []Node          `json:"instances,omitempty"`
	Resources []Node          `json:"resources,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (n Node) MarshalJSON() ([]byte, error) {
	j := jsonNode{Kind: n.Kind.String(), ID: n.ID}
	switch n.Kind {
	case KindResource, KindResourceInstance:
		t := n.Value.Type()
		j.Type = &t
		val, err := json.Marshal(n.Value.JSON())
		if err != nil {
			return nil, err
		}
		j.Value = val
	case KindInstance:
		j.Resources = n.Children
		if j.Resources == nil {
			j.Resources = []Node{}
		}
	default:
		j.Instances = n.Children
		if j.Instances == nil {
			j.Instances = []Node{}
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Node) UnmarshalJSON(b []byte) error {
	var j jsonNode
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Node{ID: j.ID}
	switch j.Kind {
	case "object":
		out.Kind, out.Children = KindObject, j.Instances
	case "instance":
		out.Kind, out.Children = KindInstance, j.Resources
	case "multiple":
		out.Kind, out.Children = KindMultipleResource, j.Instances
	case "resource", "resource-instance":
		out.Kind = KindResource
		if j.Kind == "resource-instance" {
			out.Kind = KindResourceInstance
		}
		if j.Type == nil {
			return fmt.Errorf("%w: %s %d has no type", ErrInvalidNode, j.Kind, j.ID)
		}
		v, err := ValueFromJSON(*j.Type, j.Value)
		if err != nil {
			return fmt.Errorf("%s %d: %w", j.Kind, j.ID, err)
		}
		out.Value = v
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidNode, j.Kind)
	}
	*n = out
	return nil
}

type jsonRecord struct {
	Path  Path            `json:"path"`
	Type  Type            `json:"type"`
	Value json.RawMessage `json:"value"`
	Time  *time.Time      `json:"time,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (r Record) MarshalJSON() ([]byte, error) {
	val, err := json.Marshal(r.Value.JSON())
	if err != nil {
		return nil, err
	}
	j := jsonRecord{Path: r.Path, Type: r.Value.Type(), Value: val}
	if !r.Time.IsZero() {
		t := r.Time.UTC()
		j.Time = &t
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *Record) UnmarshalJSON(b []byte) error {
	var j jsonRecord
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	v, err := ValueFromJSON(j.Type, j.Value)
	if err != nil {
		return fmt.Errorf("%s: %w", j.Path, err)
	}
	*r = Record{Path: j.Path, Value: v}
	if j.Time != nil {
		r.Time = *j.Time
	}
	return nil
}
