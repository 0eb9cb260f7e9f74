package lwjson

// Value kinds of an entry, by the key that carried the value.
const (
	kindNumber = 'v'
	kindString = 's'
	kindBool   = 'b'
	kindObjlnk = 'o'
)

// field is one scalar taken from the payload: its text (a number's
// characters, a string's decoded content) and where it starts.
type field struct {
	text []byte
	off  int
	set  bool
}

// entry is one element of "e" as written, before any path or type is
// resolved.
type entry struct {
	off   int // offset of '{'
	name  field
	kind  byte
	value field
	b     bool
	t     field
}

// pack is the root object as written.
type pack struct {
	bn, bt  field
	entries []entry
	hasE    bool
}

// parse reads the whole payload: one object with "bn", "bt" and "e" (other
// members are skipped), nothing after it.
func parse(data []byte) (pack, error) {
	s := scanner{data: data}
	var pk pack
	s.ws()
	if s.off == len(data) {
		return pk, s.errAt(0, "empty payload")
	}
	err := s.object(func(key []byte, keyOff int) error {
		switch string(key) {
		case "bn":
			return s.strField(&pk.bn, keyOff, "bn")
		case "bt":
			return s.numField(&pk.bt, keyOff, "bt")
		case "e":
			if pk.hasE {
				return s.errAt(keyOff, "\"e\" appears twice")
			}
			pk.hasE = true
			pk.entries = make([]entry, 0, min(len(data)/16+1, 64))
			return s.array(func(int) error {
				e, err := s.entry()
				pk.entries = append(pk.entries, e)
				return err
			})
		}
		return s.skip(1)
	})
	if err != nil {
		return pack{}, err
	}
	if !pk.hasE {
		return pack{}, s.errAt(0, "no \"e\" array")
	}
	if s.ws(); s.off != len(data) {
		return pack{}, s.errAt(s.off, "data after the end of the object")
	}
	return pk, nil
}

func (s *scanner) entry() (entry, error) {
	b, err := s.next()
	if err != nil {
		return entry{}, err
	}
	e := entry{off: s.off}
	if b != '{' {
		return entry{}, s.errAt(s.off, "an element of \"e\" must be an object, found %s", describeByte(b))
	}
	err = s.object(func(key []byte, keyOff int) error {
		switch string(key) {
		case "n":
			return s.strField(&e.name, keyOff, "n")
		case "t":
			return s.numField(&e.t, keyOff, "t")
		case "v", "sv", "ov", "bv":
			if e.kind != 0 {
				return s.errAt(keyOff, "entry has more than one value")
			}
			e.kind = key[0]
			switch e.kind {
			case kindNumber:
				return s.numField(&e.value, keyOff, "v")
			case kindBool:
				s.ws()
				e.value = field{off: s.off, set: true}
				w, err := s.literal()
				if err != nil || w == "null" {
					return s.errAt(e.value.off, "\"bv\" must be true or false")
				}
				e.b = w == "true"
				return nil
			}
			if e.kind == kindObjlnk {
				return s.strField(&e.value, keyOff, "ov")
			}
			return s.strField(&e.value, keyOff, "sv")
		}
		return s.skip(1)
	})
	if err != nil {
		return entry{}, err
	}
	if e.kind == 0 {
		return entry{}, s.errAt(e.off, "entry has no value (\"v\", \"sv\", \"bv\" or \"ov\")")
	}
	return e, nil
}

func (s *scanner) strField(f *field, keyOff int, key string) error {
	if f.set {
		return s.errAt(keyOff, "%q appears twice", key)
	}
	b, err := s.next()
	if err != nil {
		return err
	}
	if b != '"' {
		return s.errAt(s.off, "%q must be a string", key)
	}
	f.off, f.set = s.off, true
	f.text, err = s.str()
	return err
}

func (s *scanner) numField(f *field, keyOff int, key string) error {
	if f.set {
		return s.errAt(keyOff, "%q appears twice", key)
	}
	b, err := s.next()
	if err != nil {
		return err
	}
	if b != '-' && (b < '0' || b > '9') {
		return s.errAt(s.off, "%q must be a number", key)
	}
	f.off, f.set = s.off, true
	f.text, err = s.number()
	return err
}
