package lwcbor

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/objects"
)

// The hand-made test models agree with the compiled-in OMA registry: every
// golden case on standard objects decodes the same with objects.New().
func TestGoldenWithStandardObjects(t *testing.T) {
	reg := objects.New()
	checked := 0
	for dir, dec := range map[string]codec.Decoder{"lwm2m-cbor": New(), "cbor": NewPlain()} {
		for _, g := range loadGolden(t, dir) {
			if g.NoModel || g.Error != "" || usesTestObject(g.Records) {
				continue
			}
			recs, err := dec.DecodeRecords(g.Path, g.payload(t), reg)
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, g.file, err)
			}
			assertRecords(t, recs, g.Records)
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d cases checked", checked)
	}
}
