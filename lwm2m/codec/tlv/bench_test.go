package tlv

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

// The Core TS Device example (/3/0): 13 resources, four of them multiple.
var devicePayload = mustHex("C800144F70656E204D6F62696C6520416C6C69616E6365C801164C69676874776569676874204D324D20436C69656E74C80209333435303030313233C303312E30860641000141010588070842000ED842011388870841007D42010384C10964C10A0F830B410000C40D5182428FC60E2B30323A3030C11055")

func BenchmarkDecodeDevice(b *testing.B) {
	c, p := New(), lwm2m.InstancePath(3, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(devicePayload)))
	for b.Loop() {
		if _, err := c.Decode(p, devicePayload, models); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeDevice(b *testing.B) {
	c, p := New(), lwm2m.InstancePath(3, 0)
	n, err := c.Decode(p, devicePayload, models)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(devicePayload)))
	for b.Loop() {
		if _, err := c.Encode(p, &n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRecordsDevice(b *testing.B) {
	c, p := New(), lwm2m.InstancePath(3, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DecodeRecords(p, devicePayload, models); err != nil {
			b.Fatal(err)
		}
	}
}
