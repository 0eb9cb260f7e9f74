package objects_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

func BenchmarkParseDDFDevice(b *testing.B) {
	raw, err := os.ReadFile("ddf/3.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := objects.ParseDDF(bytes.NewReader(raw), "3.xml"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		objects.New()
	}
}

func BenchmarkResourceModelAt(b *testing.B) {
	r := objects.New()
	p := lwm2m.MustPath("/3303/0/5700")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := lwm2m.ResourceModelAt(r, p); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkObjectVersioned(b *testing.B) {
	r := objects.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.Object(3, "1.1"); !ok {
			b.Fatal("not found")
		}
	}
}
