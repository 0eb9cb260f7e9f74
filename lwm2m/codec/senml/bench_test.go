package senml_test

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
)

// The benchmarks decode and encode the Device object instance /3/0 of the
// Core TS example: 16 records, 13 resources of which 6, 7, 8 and 11 are
// multiple.

func benchDecode(b *testing.B, c *senml.Codec, file string) {
	data := readGolden(b, file)
	models := newTestModels()
	p := lwm2m.MustPath("/3/0")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(p, data, models); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncode(b *testing.B, c *senml.Codec, file string) {
	p := lwm2m.MustPath("/3/0")
	n, err := c.Decode(p, readGolden(b, file), newTestModels())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Encode(p, &n)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

func BenchmarkDecodeCBORDevice(b *testing.B) {
	benchDecode(b, senml.NewCBOR(), "lwm2m/device-read.cbor.hex")
}

func BenchmarkEncodeCBORDevice(b *testing.B) {
	benchEncode(b, senml.NewCBOR(), "lwm2m/device-read.cbor.hex")
}

func BenchmarkDecodeJSONDevice(b *testing.B) {
	benchDecode(b, senml.NewJSON(), "lwm2m/device-read.json")
}

func BenchmarkEncodeJSONDevice(b *testing.B) {
	benchEncode(b, senml.NewJSON(), "lwm2m/device-read.json")
}
