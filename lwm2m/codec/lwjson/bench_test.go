package lwjson

import (
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// deviceNode is a full Device object instance: 20 resources, three of them
// multiple (6, 7, 8) and one multiple with a single instance (11).
func deviceNode() lwm2m.Node {
	ints := func(id uint16, vs ...int64) lwm2m.Node {
		n := lwm2m.NewMultipleResource(id)
		for i, v := range vs {
			n.Children = append(n.Children, lwm2m.NewResourceInstance(uint16(i), lwm2m.IntValue(v)))
		}
		return n
	}
	return lwm2m.NewInstance(0,
		lwm2m.NewResource(0, lwm2m.StringValue("Open Mobile Alliance")),
		lwm2m.NewResource(1, lwm2m.StringValue("Lightweight M2M Client")),
		lwm2m.NewResource(2, lwm2m.StringValue("345000123")),
		lwm2m.NewResource(3, lwm2m.StringValue("1.0")),
		ints(6, 1, 5),
		ints(7, 3800, 5000),
		ints(8, 125, 900),
		lwm2m.NewResource(9, lwm2m.IntValue(100)),
		lwm2m.NewResource(10, lwm2m.IntValue(15)),
		ints(11, 0),
		lwm2m.NewResource(13, lwm2m.UnixTimeValue(1367491215)),
		lwm2m.NewResource(14, lwm2m.StringValue("+02:00")),
		lwm2m.NewResource(15, lwm2m.StringValue("Europe/Berlin")),
		lwm2m.NewResource(16, lwm2m.StringValue("U")),
		lwm2m.NewResource(17, lwm2m.StringValue("smart meter")),
		lwm2m.NewResource(18, lwm2m.StringValue("1.0")),
		lwm2m.NewResource(19, lwm2m.StringValue("1.0.1")),
		lwm2m.NewResource(20, lwm2m.IntValue(5)),
		lwm2m.NewResource(21, lwm2m.IntValue(8192)),
	)
}

var benchPath = lwm2m.MustPath("/3/0")

func BenchmarkLwM2MJSONEncodeDevice(b *testing.B) {
	n := deviceNode()
	c := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(benchPath, &n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLwM2MJSONDecodeDevice(b *testing.B) {
	n := deviceNode()
	c := New()
	data, err := c.Encode(benchPath, &n)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(benchPath, data, models); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLwM2MJSONDecodeRecordsDevice(b *testing.B) {
	n := deviceNode()
	c := New()
	data, err := c.Encode(benchPath, &n)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DecodeRecords(benchPath, data, models); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLwM2MJSONDecodeTimestamped(b *testing.B) {
	c := New(WithNow(func() time.Time { return defaultNow }))
	p := lwm2m.MustPath("/3303/0/5700")
	data := []byte(`{"bn":"/3303/0/","bt":1700000000,"e":[{"n":"5700","v":22.4,"t":-5},{"n":"5700","v":22.9,"t":-30},{"n":"5700","v":24.1,"t":-50}]}`)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DecodeRecords(p, data, models); err != nil {
			b.Fatal(err)
		}
	}
}
