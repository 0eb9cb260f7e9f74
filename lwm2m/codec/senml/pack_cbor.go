package senml

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const fmtCBOR = lwm2m.FormatSenMLCBOR

// Decoder limits. A pack is an array of maps whose values are scalars, a
// decimal fraction (tag 4 around a two-element array) being the deepest:
// array, map, tag, array — four levels, the smallest limit the library
// accepts. A record has 17 known labels; 64 pairs leave room for
// extensions without letting a hostile length through.
const (
	maxNesting     = 4
	maxRecordPairs = 64
	// DefaultMaxRecords bounds the records of one pack.
	DefaultMaxRecords = 65535
)

// CBORFormat reads and writes SenML CBOR packs (RFC 8428 §6) with
// configured, immutable decoding and encoding modes. It is safe for
// concurrent use.
type CBORFormat struct {
	strict  cbor.DecMode // unknown fields are an error: the fast path
	lenient cbor.DecMode // unknown fields ignored, after the '_' check
	enc     cbor.EncMode
}

// NewCBORFormat builds a CBORFormat whose decoder refuses arrays longer than
// maxRecords (at least 16; 0 means DefaultMaxRecords), maps with more than
// 64 pairs, nesting deeper than 4 levels, duplicate map keys and invalid
// UTF-8 — before allocating anything sized by a length field.
func NewCBORFormat(maxRecords int) (*CBORFormat, error) {
	if maxRecords == 0 {
		maxRecords = DefaultMaxRecords
	}
	if maxRecords < 16 || maxRecords > math.MaxInt32 {
		return nil, fmt.Errorf("senml: max records %d out of range 16..%d", maxRecords, math.MaxInt32)
	}
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   maxNesting,
		MaxArrayElements:  maxRecords,
		MaxMapPairs:       maxRecordPairs,
		IndefLength:       cbor.IndefLengthAllowed,
		TagsMd:            cbor.TagsAllowed,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}
	strict, err := opts.DecMode()
	if err != nil {
		return nil, err
	}
	opts.ExtraReturnErrors = cbor.ExtraDecErrorNone
	lenient, err := opts.DecMode()
	if err != nil {
		return nil, err
	}
	enc, err := cbor.EncOptions{
		Sort:        cbor.SortNone, // struct field order: the canonical key order
		IndefLength: cbor.IndefLengthForbidden,
	}.EncMode()
	if err != nil {
		return nil, err
	}
	return &CBORFormat{strict: strict, lenient: lenient, enc: enc}, nil
}

// DecodePack parses a SenML CBOR pack. Unknown labels are ignored, except
// text labels ending in "_" (must-understand, RFC 8428 §4.4), which are an
// error. Errors wrap codec.ErrMalformed.
func (f *CBORFormat) DecodePack(data []byte) (Pack, error) {
	if len(data) == 0 || data[0]>>5 != majorArray {
		return nil, codec.Malformed(fmtCBOR, 0, "a SenML pack is a CBOR array")
	}
	var p Pack
	err := f.strict.Unmarshal(data, &p)
	var unknown *cbor.UnknownFieldError
	if errors.As(err, &unknown) {
		if err := f.checkMustUnderstand(data); err != nil {
			return nil, err
		}
		p = nil
		err = f.lenient.Unmarshal(data, &p)
	}
	if err != nil {
		return nil, cborError(err)
	}
	return p, nil
}

func (f *CBORFormat) checkMustUnderstand(data []byte) error {
	var recs []map[any]cbor.RawMessage
	if err := f.lenient.Unmarshal(data, &recs); err != nil {
		return cborError(err)
	}
	for i, m := range recs {
		var keys []string
		for k := range m {
			if s, ok := k.(string); ok {
				keys = append(keys, s)
			}
		}
		if k := mustUnderstand(keys); k != "" {
			return codec.Malformed(fmtCBOR, -1, "record %d: field %q must be understood and is not supported", i, k)
		}
	}
	return nil
}

func cborError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "cbor: ")
	msg = strings.TrimPrefix(msg, "senml: ")
	var typ *cbor.UnmarshalTypeError
	if errors.As(err, &typ) && typ.StructFieldName != "" {
		msg = fmt.Sprintf("field %s: CBOR %s cannot be %s", cborLabel(typ.StructFieldName), typ.CBORType, typ.GoType)
	}
	return codec.Malformed(fmtCBOR, -1, "%s", msg)
}

// cborLabel names a Record field by its SenML label in errors; the
// library reports the struct field by its CBOR key ("senml.Record.-1").
func cborLabel(field string) string {
	switch k := field[strings.LastIndexByte(field, '.')+1:]; k {
	case "-1":
		return "bver"
	case "-2":
		return "bn"
	case "-3":
		return "bt"
	case "-4":
		return "bu"
	case "-5":
		return "bv"
	case "-6":
		return "bs"
	case "0":
		return "n"
	case "1":
		return "u"
	case "2":
		return "v"
	case "3":
		return "vs"
	case "4":
		return "vb"
	case "5":
		return "s"
	case "6":
		return "t"
	case "7":
		return "ut"
	case "8":
		return "vd"
	default:
		return k
	}
}

// EncodePack writes p in the canonical form described in the package
// documentation.
func (f *CBORFormat) EncodePack(p Pack) ([]byte, error) {
	if len(p) == 0 {
		return []byte{0x80}, nil
	}
	b, err := f.enc.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fmtCBOR, err)
	}
	return b, nil
}
