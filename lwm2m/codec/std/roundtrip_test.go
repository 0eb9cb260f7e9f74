package std

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

// randomValue returns a value of type t that every format can carry
// exactly (no NaN or infinities, valid UTF-8 strings).
func randomValue(r *rand.Rand, t lwm2m.Type) lwm2m.Value {
	switch t {
	case lwm2m.TypeString:
		runes := []rune("abcXYZ 019-_:/é€😀")
		n := r.IntN(12)
		s := make([]rune, n)
		for i := range s {
			s[i] = runes[r.IntN(len(runes))]
		}
		return lwm2m.StringValue(string(s))
	case lwm2m.TypeInteger:
		switch r.IntN(3) {
		case 0:
			return lwm2m.IntValue(int64(r.IntN(200)) - 100)
		case 1:
			return lwm2m.IntValue(r.Int64() - math.MaxInt64/2)
		}
		return lwm2m.IntValue(math.MinInt64 + int64(r.IntN(3)))
	case lwm2m.TypeUnsigned:
		if r.IntN(2) == 0 {
			return lwm2m.UintValue(uint64(r.IntN(1000)))
		}
		return lwm2m.UintValue(r.Uint64() >> 12) // exact in every format's number
	case lwm2m.TypeFloat:
		switch r.IntN(3) {
		case 0:
			return lwm2m.FloatValue(float64(r.IntN(100)) + 0.5)
		case 1:
			return lwm2m.FloatValue(r.NormFloat64() * 1e6)
		}
		return lwm2m.FloatValue(-r.Float64())
	case lwm2m.TypeBoolean:
		return lwm2m.BoolValue(r.IntN(2) == 1)
	case lwm2m.TypeOpaque:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return lwm2m.OpaqueValue(b)
	case lwm2m.TypeTime:
		return lwm2m.UnixTimeValue(1_300_000_000 + int64(r.IntN(500_000_000)))
	case lwm2m.TypeObjlnk:
		return lwm2m.ObjlnkValue(uint16(r.IntN(4000)), uint16(r.IntN(10)))
	}
	return lwm2m.NoneValue()
}

// randomInstance builds instance id of object o with a random subset of its
// readable, typed resources.
func randomInstance(r *rand.Rand, o *lwm2m.ObjectModel, id uint16) lwm2m.Node {
	inst := lwm2m.NewInstance(id)
	for _, rm := range o.Resources {
		if rm.Type == lwm2m.TypeNone || rm.Type == lwm2m.TypeCorelnk || r.IntN(4) == 0 {
			continue
		}
		if rm.Multiple {
			n := 1 + r.IntN(3)
			res := lwm2m.NewMultipleResource(rm.ID)
			for i := 0; i < n; i++ {
				res.Children = append(res.Children, lwm2m.NewResourceInstance(uint16(i*3), randomValue(r, rm.Type)))
			}
			inst.Children = append(inst.Children, res)
			continue
		}
		inst.Children = append(inst.Children, lwm2m.NewResource(rm.ID, randomValue(r, rm.Type)))
	}
	if len(inst.Children) == 0 { // every format needs at least one value to say anything
		for _, rm := range o.Resources {
			if rm.Type != lwm2m.TypeNone && !rm.Multiple {
				inst.Children = append(inst.Children, lwm2m.NewResource(rm.ID, randomValue(r, rm.Type)))
				break
			}
		}
	}
	return inst
}

// TestRoundTripAcrossFormats: node → A → node → B → node, equal, for every
// pair of formats that can carry a whole instance.
func TestRoundTripAcrossFormats(t *testing.T) {
	reg := New()
	models := objects.New()
	formats := []lwm2m.ContentFormat{
		lwm2m.FormatTLV, lwm2m.FormatSenMLJSON, lwm2m.FormatSenMLCBOR, lwm2m.FormatLwM2MJSON, lwm2m.FormatLwM2MCBOR,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, objID := range []uint16{1, 3, 4, 5, 6, 7, 3303, 3311, 3336} {
		o, ok := models.Object(objID, "")
		if !ok {
			t.Fatalf("object %d missing", objID)
		}
		for iter := 0; iter < 40; iter++ {
			inst := randomInstance(r, o, uint16(r.IntN(3)))
			p := lwm2m.InstancePath(objID, inst.ID)
			inst.Sort()
			for _, a := range formats {
				for _, b := range formats {
					n1 := roundTrip(t, reg, models, a, p, &inst)
					n2 := roundTrip(t, reg, models, b, p, &n1)
					n2.Sort()
					if !n2.Equal(&inst) {
						t.Fatalf("%s → %s → %s changed the node:\nwant %+v\ngot  %+v", p, a, b, inst, n2)
					}
				}
			}
		}
	}
}

func roundTrip(t *testing.T, reg interface {
	Encode(lwm2m.ContentFormat, lwm2m.Path, *lwm2m.Node) ([]byte, error)
	Decode(lwm2m.ContentFormat, lwm2m.Path, []byte, lwm2m.ModelProvider) (lwm2m.Node, error)
}, m lwm2m.ModelProvider, f lwm2m.ContentFormat, p lwm2m.Path, n *lwm2m.Node) lwm2m.Node {
	t.Helper()
	b, err := reg.Encode(f, p, n)
	if err != nil {
		t.Fatalf("%s encode %s: %v", f, p, err)
	}
	out, err := reg.Decode(f, p, b, m)
	if err != nil {
		t.Fatalf("%s decode %s: %v (payload %x)", f, p, err, b)
	}
	out.Sort()
	return out
}

// TestRoundTripSingleResources covers the single-value formats too.
func TestRoundTripSingleResources(t *testing.T) {
	reg := New()
	models := objects.New()
	r := rand.New(rand.NewPCG(3, 4))
	all := []lwm2m.ContentFormat{
		lwm2m.FormatText, lwm2m.FormatCBOR, lwm2m.FormatTLV, lwm2m.FormatSenMLJSON, lwm2m.FormatSenMLCBOR,
		lwm2m.FormatLwM2MJSON, lwm2m.FormatLwM2MCBOR,
	}
	for _, objID := range []uint16{3, 4, 5, 6, 3303} {
		o, _ := models.Object(objID, "")
		for _, rm := range o.Resources {
			if rm.Type == lwm2m.TypeNone || rm.Type == lwm2m.TypeCorelnk || rm.Multiple {
				continue
			}
			p := lwm2m.ResourcePath(objID, 0, rm.ID)
			n := lwm2m.NewResource(rm.ID, randomValue(r, rm.Type))
			formats := all
			if rm.Type == lwm2m.TypeOpaque {
				formats = append(formats, lwm2m.FormatOpaque)
			}
			for _, a := range formats {
				for _, b := range formats {
					n1 := roundTrip(t, reg, models, a, p, &n)
					n2 := roundTrip(t, reg, models, b, p, &n1)
					if !n2.Equal(&n) {
						t.Fatalf("%s: %s → %s changed %v into %v", p, a, b, n.Value, n2.Value)
					}
				}
			}
		}
	}
}

func TestRegistryFormats(t *testing.T) {
	reg := New()
	for _, f := range []lwm2m.ContentFormat{0, 42, 60, 110, 112, 1542, 1543, 11542, 11543, 11544} {
		c, err := reg.Lookup(f)
		if err != nil {
			t.Fatalf("%d: %v", f, err)
		}
		if c.Format() != f {
			t.Errorf("codec for %d says %d", f, c.Format())
		}
	}
	if _, err := reg.Lookup(41); err == nil {
		t.Error("41 (XML) must be unsupported")
	}
}
