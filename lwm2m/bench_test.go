package lwm2m

import "testing"

func deviceRecords() []Record {
	n := NewInstance(0,
		NewResource(0, StringValue("Open Mobile Alliance")),
		NewResource(1, StringValue("Lightweight M2M Client")),
		NewResource(2, StringValue("345000123")),
		NewResource(3, StringValue("1.0")),
		NewMultipleResource(6, NewResourceInstance(0, IntValue(1)), NewResourceInstance(1, IntValue(5))),
		NewMultipleResource(7, NewResourceInstance(0, IntValue(3800)), NewResourceInstance(1, IntValue(5000))),
		NewMultipleResource(8, NewResourceInstance(0, IntValue(125)), NewResourceInstance(1, IntValue(900))),
		NewResource(9, IntValue(100)),
		NewResource(10, IntValue(15)),
		NewMultipleResource(11, NewResourceInstance(0, IntValue(0))),
		NewResource(13, UnixTimeValue(1367491215)),
		NewResource(14, StringValue("+02:00")),
		NewResource(16, StringValue("U")),
	)
	return n.Records(MustPath("/3/0"))
}

func BenchmarkBuildNodeDevice(b *testing.B) {
	recs := deviceRecords()
	p := MustPath("/3/0")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildNode(p, recs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordsDevice(b *testing.B) {
	recs := deviceRecords()
	n, _ := BuildNode(MustPath("/3/0"), recs)
	p := MustPath("/3/0")
	b.ReportAllocs()
	for b.Loop() {
		_ = n.Records(p)
	}
}
