package storage

import (
	"database/sql"
	"math"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

func roundTrip(v lwm2m.Value) (lwm2m.Value, error) {
	c := encodeValue(v)
	var num sql.NullFloat64
	var txt sql.NullString
	if f, ok := c.num.(float64); ok {
		num = sql.NullFloat64{Float64: f, Valid: true}
	}
	if s, ok := c.txt.(string); ok {
		txt = sql.NullString{String: s, Valid: true}
	}
	return decodeValue(int64(c.vtype), num, txt)
}

func TestValueColumnsRoundTrip(t *testing.T) {
	for _, v := range []lwm2m.Value{
		lwm2m.IntValue(math.MinInt64), lwm2m.IntValue(1 << 53), lwm2m.IntValue(1<<53 - 1), lwm2m.UintValue(math.MaxUint64),
		lwm2m.FloatValue(math.NaN()), lwm2m.FloatValue(math.Copysign(0, -1)), lwm2m.FloatValue(math.SmallestNonzeroFloat64),
		lwm2m.BoolValue(true), lwm2m.TimeValue(time.Unix(-1, 0)), lwm2m.ObjlnkValue(1, 2), lwm2m.OpaqueValue([]byte{0}),
		lwm2m.StringValue("x"), lwm2m.CorelnkValue("</1>"), lwm2m.NoneValue(),
		lwm2m.StringValue("nul\x00inside"), lwm2m.StringValue("bad\xffutf8"), lwm2m.CorelnkValue("\x00"),
	} {
		got, err := roundTrip(v)
		if err != nil || !got.Equal(v) {
			t.Errorf("%v (%s) came back as %v (%s), %v", v, v.Type(), got, got.Type(), err)
		}
	}
	if c := encodeValue(lwm2m.IntValue(5)); c.txt != nil || c.num != 5.0 {
		t.Errorf("a small integer is stored as %+v, want the number only", c)
	}
}

// FuzzDecodeValue feeds arbitrary stored columns to the decoder: it must
// return a value or an error, never panic.
func FuzzDecodeValue(f *testing.F) {
	f.Add(int64(lwm2m.TypeInteger), 5.0, true, "", false)
	f.Add(int64(lwm2m.TypeOpaque), 0.0, false, "AAEC", true)
	f.Add(int64(lwm2m.TypeObjlnk), 0.0, false, "3:0", true)
	f.Add(int64(lwm2m.TypeFloat), 0.0, false, "NaN", true)
	f.Add(int64(99), 1.0, true, "x", true)
	f.Add(int64(-1), 1.0, true, "", false)
	f.Fuzz(func(t *testing.T, vtype int64, num float64, numOK bool, txt string, txtOK bool) {
		v, err := decodeValue(vtype, sql.NullFloat64{Float64: num, Valid: numOK}, sql.NullString{String: txt, Valid: txtOK})
		if err == nil && v.Type() != lwm2m.Type(vtype) {
			t.Fatalf("decoded a %s from type %d", v.Type(), vtype)
		}
	})
}

func TestSecretBox(t *testing.T) {
	key := make([]byte, 32)
	b, err := newSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.seal([]byte("psk"), "dev/1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.open(sealed, "dev/1"); err != nil || string(got) != "psk" {
		t.Errorf("open = %q, %v", got, err)
	}
	if _, err := b.open(sealed, "dev/2"); err != ErrSecretKey {
		t.Errorf("sealed value moved to another row opened: %v", err)
	}
	other, _ := newSecretBox(append(make([]byte, 31), 1))
	if _, err := other.open(sealed, "dev/1"); err != ErrSecretKey {
		t.Errorf("wrong key opened: %v", err)
	}
	if _, err := newSecretBox(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func FuzzSecretOpen(f *testing.F) {
	b, _ := newSecretBox(make([]byte, 32))
	sealed, _ := b.seal([]byte("psk"), "a")
	f.Add(sealed)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, in []byte) {
		if out, err := b.open(in, "a"); err == nil && string(out) != "psk" {
			t.Fatalf("forged ciphertext opened to %q", out)
		}
	})
}
