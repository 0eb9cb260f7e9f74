package lwjson

import (
	"testing"

	"github.com/shoal-iot/shoal/objects"
)

// The hand-made test models agree with the compiled-in OMA registry: every
// golden case on standard objects decodes the same with objects.New().
func TestGoldenWithStandardObjects(t *testing.T) {
	reg := objects.New()
	checked := 0
	for _, g := range loadGolden(t) {
		if g.NoModel || g.Error != "" || usesTestObject(g.Records) {
			continue
		}
		recs, err := g.codec().DecodeRecords(g.Path, g.payload, reg)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		assertRecords(t, recs, g.Records)
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d cases checked", checked)
	}
}
