package tlv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name   string
		path   string
		hex    string
		offset int
		msg    string
	}{
		{"length beyond payload", "/3/0", "C8 00 14 41", 0, "length 20 exceeds the 1 bytes left"},
		{"length beyond enclosing TLV", "/3", "08 00 04 C8 00 14 41", 3, "resource 0: length 20 exceeds the 1 bytes left"},
		{"24-bit length beyond payload", "/3/0/0", "D8 00 FF FF FF 41", 0, "length 16777215 exceeds"},
		{"truncated header", "/3/0", "C1 09 64 C8", 3, "truncated resource TLV header"},
		{"truncated 16-bit id", "/3/0", "F0 01", 0, "truncated resource TLV header"},
		{"reserved id", "/3/0", "E1 FF FF 00", 0, "identifier 65535 is reserved"},
		{"resource id mismatch", "/3/0/1", "C1 02 05", 0, "resource TLV has id 2, the path names resource 1"},
		{"instance wrapper id mismatch", "/3/0", "08 01 03 C1 09 64", 0, "object instance TLV has id 1, the path names instance 0"},
		{"wrapper id mismatch at resource", "/3/0/9", "08 01 03 C1 09 64", 0, "the path names instance 0"},
		{"resource instance id mismatch", "/3/0/7/1", "42 00 13 88", 0, "has id 0, the path names 1"},
		{"resource instance at instance level", "/3/0", "41 00 01", 0, "a resource instance TLV (id 0) cannot appear among the resources"},
		{"object instance inside object instance", "/3", "08 00 03 08 00 00", 3, "object instance TLV (id 0) cannot appear among the resources"},
		{"resource inside multiple resource", "/3/0", "83 06 C1 00 01", 2, "a resource TLV (id 0) cannot appear inside a multiple resource"},
		{"resource at object level", "/3", "C1 09 64", 0, "expected an object instance TLV, found a resource TLV"},
		{"wrong kind at resource instance", "/3/0/7/1", "C1 01 05", 0, "expected a resource instance TLV, found a resource TLV"},
		{"double wrapper", "/3/0/9", "08 00 05 08 00 02 C1 09", 3, "nested in an object instance TLV"},
		{"duplicate resource", "/3/0", "C1 09 64 C1 09 65", 3, "resource appears twice"},
		{"duplicate resource instance", "/3/0", "86 06 41 00 01 41 00 05", 5, "resource instance appears twice"},
		{"duplicate instance", "/3", "00 00 00 00", 2, "object instance appears twice"},
		{"duplicate out of order", "/3/0", "C1 09 64 C1 02 00 C1 09 65", 6, "resource appears twice"},
		{"trailing garbage after resource", "/3/0/9", "C1 09 64 00", 3, "trailing data after the resource TLV"},
		{"trailing garbage after wrapper", "/3/0", "08 00 03 C1 09 64 C1 0A 0F", 6, "trailing data after the object instance TLV"},
		{"trailing garbage after resource instance", "/3/0/7/1", "42 01 13 88 FF", 4, "trailing data"},
		{"empty single resource", "/3/0/9", "", 0, "no resource TLV"},
		{"empty resource instance", "/3/0/7/1", "", 0, "no resource instance TLV"},
		{"boolean 2", "/65000/0/4", "C1 04 02", 0, "boolean value must be one byte 0 or 1"},
		{"boolean 2 bytes", "/65000/0/4", "C2 04 00 01", 0, "boolean value must be one byte 0 or 1"},
		{"float 3 bytes", "/65000/0/3", "C3 03 01 02 03", 0, "float value takes 4 or 8 bytes, not 3"},
		{"objlnk 3 bytes", "/65000/0/7", "C3 07 01 02 03", 0, "objlnk value takes 4 bytes, not 3"},
		{"integer 9 bytes", "/65000/0/1", "C8 01 09 00 00 00 00 00 00 00 00 01", 0, "must be 1 to 8 bytes long, not 9"},
		{"empty integer", "/65000/0/1", "C0 01", 0, "must be 1 to 8 bytes long, not 0"},
		{"empty unsigned", "/65000/0/2", "C0 02", 0, "must be 1 to 8 bytes long, not 0"},
		{"empty time", "/3/0/13", "C0 0D", 0, "time value must be 1 to 8 bytes long"},
		{"invalid utf-8", "/3/0", "C1 09 64 C3 00 61 FF 62", 6, "string value is not valid UTF-8"},
		{"executable with a value", "/3/0", "C1 04 01", 0, "executable and carries no value"},
		{"truncated inside multiple", "/65000/0", "88 0B 04 41 00 01 41", 6, "truncated resource instance TLV header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New().Decode(lwm2m.MustPath(tc.path), mustHex(tc.hex), models)
			if !errors.Is(err, codec.ErrMalformed) {
				t.Fatalf("err = %v, want malformed", err)
			}
			var de *codec.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %T is not a *codec.DecodeError", err)
			}
			if de.Offset != tc.offset {
				t.Errorf("offset = %d, want %d (%v)", de.Offset, tc.offset, err)
			}
			if de.Format != lwm2m.FormatTLV {
				t.Errorf("format = %v", de.Format)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestDecodeErrorNamesPath(t *testing.T) {
	_, err := New().Decode(lwm2m.MustPath("/3/0"), mustHex("86 06 41 00 01 41 01 05 C1 09 64 C2 0A 00 01 C1 04 07"), models)
	var de *codec.DecodeError
	if !errors.As(err, &de) || !de.HasPath || de.Path != lwm2m.MustPath("/3/0/4") || de.Offset != 15 {
		t.Fatalf("err = %v, want one at offset 15 naming /3/0/4", err)
	}
	if got := err.Error(); got != "tlv: offset 15: /3/0/4: resource is executable and carries no value, got 1 bytes" {
		t.Fatalf("message = %q", got)
	}
}

func TestDecodeRoot(t *testing.T) {
	if _, err := New().Decode(lwm2m.Root, nil, models); !errors.Is(err, codec.ErrNotRepresentable) {
		t.Fatalf("err = %v, want not representable", err)
	}
}

func TestDecodeEmpty(t *testing.T) {
	c := New()
	obj, err := c.Decode(lwm2m.MustPath("/1"), nil, models)
	if err != nil || obj.Kind != lwm2m.KindObject || obj.ID != 1 || len(obj.Children) != 0 {
		t.Fatalf("empty /1 = %+v, %v", obj, err)
	}
	inst, err := c.Decode(lwm2m.MustPath("/1/4"), nil, models)
	if err != nil || inst.Kind != lwm2m.KindInstance || inst.ID != 4 || len(inst.Children) != 0 {
		t.Fatalf("empty /1/4 = %+v, %v", inst, err)
	}
	// An empty instance wrapper is an instance without resources too.
	inst, err = c.Decode(lwm2m.MustPath("/1/4"), mustHex("00 04"), models)
	if err != nil || len(inst.Children) != 0 {
		t.Fatalf("empty wrapper = %+v, %v", inst, err)
	}
}

func TestDecodeWithoutModel(t *testing.T) {
	// With no model at all every value is opaque, but the structure stands.
	n, err := New().Decode(lwm2m.MustPath("/3/0"), mustHex("C1 09 64 86 06 41 00 01 41 01 05"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := lwm2m.NewInstance(0,
		lwm2m.NewResource(9, lwm2m.OpaqueValue([]byte{100})),
		lwm2m.NewMultipleResource(6,
			lwm2m.NewResourceInstance(0, lwm2m.OpaqueValue([]byte{1})),
			lwm2m.NewResourceInstance(1, lwm2m.OpaqueValue([]byte{5}))))
	if !n.Equal(&want) {
		t.Fatalf("got %+v", n)
	}
}

func TestDecodeIntegerWidths(t *testing.T) {
	cases := []struct {
		hex  string
		want int64
	}{
		{"C1 01 80", -128},
		{"C2 01 80 00", -32768},
		{"C3 01 FF FF FE", -2}, // 3 bytes: tolerated, sign-extended
		{"C4 01 7F FF FF FF", 2147483647},
		{"C8 01 08 80 00 00 00 00 00 00 00", -9223372036854775808},
		{"C5 01 00 00 00 01 00", 256},
	}
	for _, tc := range cases {
		n, err := New().Decode(lwm2m.MustPath("/65000/0/1"), mustHex(tc.hex), models)
		if err != nil || n.Value.Int() != tc.want || n.Value.Type() != lwm2m.TypeInteger {
			t.Errorf("%s: got %v, %v; want %d", tc.hex, n.Value, err, tc.want)
		}
	}
	// Unsigned values are read as unsigned: one byte 0xC8 is 200, not -56.
	n, err := New().Decode(lwm2m.MustPath("/65000/0/2"), mustHex("C1 02 C8"), models)
	if err != nil || n.Value.Uint() != 200 {
		t.Fatalf("unsigned 0xC8 = %v, %v", n.Value, err)
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	payload := mustHex("C2 05 DE AD C3 00 61 62 63")
	n, err := New().Decode(lwm2m.MustPath("/65000/0"), payload, models)
	if err != nil {
		t.Fatal(err)
	}
	for i := range payload {
		payload[i] = 0
	}
	if !bytes.Equal(n.Children[0].Value.Bytes(), []byte{0xde, 0xad}) || n.Children[1].Value.Str() != "abc" {
		t.Fatalf("decoded values changed with the input buffer: %+v", n)
	}
}

func TestLength24(t *testing.T) {
	const size = 70000 // > 65535: needs the 24-bit length field
	value := bytes.Repeat([]byte{0xA5}, size)
	want := append(mustHex("D8 05 01 11 70"), value...) // 0x011170 = 70000
	node := lwm2m.NewResource(5, lwm2m.OpaqueValue(value))
	p := lwm2m.MustPath("/65000/0/5")
	out, err := New().Encode(p, &node)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("header = %X, want %X", out[:5], want[:5])
	}
	n, err := New().Decode(p, want, models)
	if err != nil || !n.Equal(&node) {
		t.Fatalf("decode: %v", err)
	}
	// The same value inside a multiple resource inside an instance.
	inst := lwm2m.NewInstance(0, lwm2m.NewMultipleResource(11, lwm2m.NewResourceInstance(1, lwm2m.OpaqueValue(value))))
	out, err = New().Encode(lwm2m.MustPath("/65000/0"), &inst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[:10], mustHex("98 0B 01 11 75 58 01 01 11 70")) {
		t.Fatalf("headers = %X", out[:10])
	}
	back, err := New().Decode(lwm2m.MustPath("/65000/0"), out, models)
	if err != nil || !back.Equal(&inst) {
		t.Fatalf("decode nested: %v", err)
	}
}

// TestHugeLengthAllocatesNothing checks that a length field announcing 16 MiB
// is rejected before anything is sized by it: the error costs a few hundred
// bytes, not megabytes.
func TestHugeLengthAllocatesNothing(t *testing.T) {
	payload := mustHex("D8 05 FF FF FF 00 01 02")
	p := lwm2m.MustPath("/65000/0/5")
	const runs = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := New().Decode(p, payload, models); err == nil {
			t.Fatal("no error")
		}
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 1024 {
		t.Fatalf("%d bytes allocated per rejected payload", perRun)
	}
}

// TestManySiblingsOutOfOrder guards against quadratic duplicate checks: a
// multiple resource with 20,000 instances in descending id order decodes,
// and a duplicate at its end is still found.
func TestManySiblingsOutOfOrder(t *testing.T) {
	const n = 20000
	var content []byte
	for i := n; i > 0; i-- {
		content = appendHeader(content, typeResourceInstance, uint16(i), 1)
		content = append(content, byte(i))
	}
	payload := appendHeader(nil, typeMultiple, 11, len(content))
	payload = append(payload, content...)
	node, err := New().Decode(lwm2m.MustPath("/65000/0/11"), payload, models)
	if err != nil || len(node.Children) != n {
		t.Fatalf("decode: %d children, %v", len(node.Children), err)
	}
	content = appendHeader(content, typeResourceInstance, 7, 0)
	payload = appendHeader(nil, typeMultiple, 11, len(content))
	payload = append(payload, content...)
	_, err = New().Decode(lwm2m.MustPath("/65000/0/11"), payload, models)
	if err == nil || !strings.Contains(err.Error(), "/65000/0/11/7: resource instance appears twice") {
		t.Fatalf("err = %v", err)
	}
}
