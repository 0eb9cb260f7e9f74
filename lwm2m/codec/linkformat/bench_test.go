package linkformat

import "testing"

var benchRegistration = []byte(`</>;rt="oma.lwm2m";ct="60 110 112 11542",</1>;ver=1.1,</1/0>,</3/0>,</4/0>,</5/0>,</3303>;ver=1.1,</3303/0>,</3303/1>,</3304/0>`)

func BenchmarkParseRegistration(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRegistration)))
	for b.Loop() {
		if _, err := ParseRegistration(benchRegistration); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatRegistration(b *testing.B) {
	reg, err := ParseRegistration(benchRegistration)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		FormatRegistration(reg)
	}
}
