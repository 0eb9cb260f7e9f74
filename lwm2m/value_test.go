package lwm2m

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestValueAccessors(t *testing.T) {
	if v := IntValue(-5); v.Int() != -5 || v.Float() != -5 || v.Type() != TypeInteger {
		t.Errorf("int: %v", v)
	}
	if v := UintValue(math.MaxUint64); v.Uint() != math.MaxUint64 || v.Text() != "18446744073709551615" {
		t.Errorf("uint: %v", v)
	}
	if v := FloatValue(3.5); v.Float() != 3.5 || v.Text() != "3.5" {
		t.Errorf("float: %v", v)
	}
	if v := BoolValue(true); !v.Bool() || v.Text() != "1" {
		t.Errorf("bool: %v", v)
	}
	ts := time.Date(2013, 5, 2, 10, 40, 15, 0, time.UTC)
	if v := TimeValue(ts); !v.Time().Equal(ts) || v.Text() != "1367491215" {
		t.Errorf("time: %v", v)
	}
	if v := ObjlnkValue(3, 0); v.Text() != "3:0" {
		t.Errorf("objlnk: %v", v)
	} else if o, i := v.Objlnk(); o != 3 || i != 0 {
		t.Errorf("objlnk ids: %d %d", o, i)
	}
	if v := OpaqueValue([]byte{1, 2, 3}); v.Text() != "AQID" || len(v.Bytes()) != 3 {
		t.Errorf("opaque: %v", v)
	}
	if v := NoneValue(); !v.IsNone() || v.String() != "none" {
		t.Errorf("none: %v", v)
	}
	if StringValue("x").Int() != 0 || IntValue(1).Str() != "" || IntValue(1).Bytes() != nil {
		t.Error("wrong-type accessors must return zero values")
	}
}

func TestParseValueAndTextRoundTrip(t *testing.T) {
	vals := []Value{
		StringValue("Open Mobile Alliance"), IntValue(-42), UintValue(42), FloatValue(-0.125),
		BoolValue(false), BoolValue(true), OpaqueValue([]byte("hello")), UnixTimeValue(1367491215),
		ObjlnkValue(65535, 65535), CorelnkValue("</3/0>"), NoneValue(),
	}
	for _, v := range vals {
		got, err := ParseValue(v.Type(), v.Text())
		if err != nil || !got.Equal(v) {
			t.Errorf("%s %q: round trip %v, %v", v.Type(), v.Text(), got, err)
		}
	}
	bad := []struct {
		t Type
		s string
	}{
		{TypeInteger, "1.5"}, {TypeInteger, "x"}, {TypeUnsigned, "-1"}, {TypeFloat, "abc"},
		{TypeBoolean, "2"}, {TypeTime, "yesterday"}, {TypeObjlnk, "3"}, {TypeObjlnk, "3:70000"},
		{TypeOpaque, "!!"}, {TypeNone, "x"},
	}
	for _, b := range bad {
		if _, err := ParseValue(b.t, b.s); err == nil {
			t.Errorf("ParseValue(%s, %q) accepted", b.t, b.s)
		}
	}
	if v, err := ParseValue(TypeTime, "2013-05-02T10:40:15Z"); err != nil || v.Int() != 1367491215 {
		t.Errorf("RFC 3339 time: %v %v", v, err)
	}
	if v, err := ParseValue(TypeOpaque, "AQID"); err != nil || string(v.Bytes()) != "\x01\x02\x03" {
		t.Errorf("opaque base64: %v %v", v, err)
	}
}

func TestConvert(t *testing.T) {
	ok := []struct {
		in   Value
		to   Type
		want Value
	}{
		{IntValue(5), TypeUnsigned, UintValue(5)},
		{UintValue(5), TypeInteger, IntValue(5)},
		{FloatValue(7), TypeInteger, IntValue(7)},
		{IntValue(7), TypeFloat, FloatValue(7)},
		{IntValue(100), TypeTime, UnixTimeValue(100)},
		{StringValue("12"), TypeInteger, IntValue(12)},
		{IntValue(1), TypeBoolean, BoolValue(true)},
		{IntValue(12), TypeString, StringValue("12")},
		{StringValue("ab"), TypeOpaque, OpaqueValue([]byte("ab"))},
	}
	for _, c := range ok {
		got, err := c.in.Convert(c.to)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%v → %s: %v, %v", c.in, c.to, got, err)
		}
	}
	bad := []struct {
		in Value
		to Type
	}{
		{IntValue(-1), TypeUnsigned}, {FloatValue(1.5), TypeInteger}, {UintValue(math.MaxUint64), TypeInteger},
		{IntValue(2), TypeBoolean}, {OpaqueValue(nil), TypeInteger}, {FloatValue(math.Inf(1)), TypeInteger},
	}
	for _, c := range bad {
		if _, err := c.in.Convert(c.to); err == nil {
			t.Errorf("%v → %s accepted", c.in, c.to)
		}
	}
}

func TestValueJSON(t *testing.T) {
	cases := map[string]Value{
		`{"type":"integer","value":42}`:                    IntValue(42),
		`{"type":"unsigned","value":18446744073709551615}`: UintValue(math.MaxUint64),
		`{"type":"float","value":1.5}`:                     FloatValue(1.5),
		`{"type":"float","value":"NaN"}`:                   FloatValue(math.NaN()),
		`{"type":"boolean","value":true}`:                  BoolValue(true),
		`{"type":"opaque","value":"AQID"}`:                 OpaqueValue([]byte{1, 2, 3}),
		`{"type":"time","value":"2013-05-02T10:40:15Z"}`:   UnixTimeValue(1367491215),
		`{"type":"objlnk","value":"3:0"}`:                  ObjlnkValue(3, 0),
		`{"type":"string","value":"x"}`:                    StringValue("x"),
		`{"type":"corelnk","value":"\u003c/3\u003e"}`:      CorelnkValue("</3>"),
		`{"type":"none","value":null}`:                     NoneValue(),
	}
	for want, v := range cases {
		b, err := json.Marshal(v)
		if err != nil || string(b) != want {
			t.Errorf("marshal %v: %s, %v (want %s)", v, b, err, want)
		}
		var back Value
		if err := json.Unmarshal([]byte(want), &back); err != nil || !back.Equal(v) {
			t.Errorf("unmarshal %s: %v, %v", want, back, err)
		}
	}
	// Natural JSON for the type is accepted too.
	if v, err := ValueFromJSON(TypeTime, json.RawMessage("1367491215")); err != nil || v.Int() != 1367491215 {
		t.Errorf("time as number: %v %v", v, err)
	}
	if _, err := ValueFromJSON(TypeInteger, json.RawMessage("1.5")); err == nil {
		t.Error("1.5 accepted as integer")
	}
	if _, err := ValueFromJSON(TypeString, json.RawMessage("5")); err == nil {
		t.Error("a number accepted as string")
	}
}
