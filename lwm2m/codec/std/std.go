// Package std assembles the codec registry with every content format Shoal
// speaks: text/plain, octet-stream, TLV, LwM2M JSON, SenML JSON and CBOR,
// LwM2M CBOR and plain CBOR, plus the pre-registration TLV (1542) and JSON
// (1543) numbers early LwM2M 1.0 clients still send.
package std

import (
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/lwcbor"
	"github.com/shoal-iot/shoal/lwm2m/codec/lwjson"
	"github.com/shoal-iot/shoal/lwm2m/codec/opaque"
	"github.com/shoal-iot/shoal/lwm2m/codec/senml"
	"github.com/shoal-iot/shoal/lwm2m/codec/text"
	"github.com/shoal-iot/shoal/lwm2m/codec/tlv"
)

// New returns a registry holding every standard codec.
func New() *codec.Registry {
	t := tlv.New()
	j := lwjson.New()
	return codec.NewRegistry(
		text.New(),
		opaque.New(),
		t,
		j,
		senml.NewJSON(),
		senml.NewCBOR(),
		lwcbor.New(),
		lwcbor.NewPlain(),
	).With(lwm2m.FormatLegacyTLV, legacy{t, lwm2m.FormatLegacyTLV}).
		With(lwm2m.FormatLegacyJSON, legacy{j, lwm2m.FormatLegacyJSON})
}

// legacy serves a codec under its pre-registration number.
type legacy struct {
	codec.Codec
	f lwm2m.ContentFormat
}

func (l legacy) Format() lwm2m.ContentFormat { return l.f }
