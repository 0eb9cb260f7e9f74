// Package senml implements the SenML content formats LwM2M uses:
// application/senml+json (110) and application/senml+cbor (112).
//
// The package has two layers that are kept apart:
//
// The raw layer is RFC 8428 as Go data: a Pack of Records carrying the base
// fields (bn, bt, bu, bv, bs, bver), the regular fields (n, u, v, vs, vb, vd,
// s, t, ut) and LwM2M's object-link value "vlo" (Core TS 1.1 §7.4.5).
// JSONFormat and CBORFormat read and write packs; Resolve applies the base
// fields (RFC 8428 §4.6). It knows nothing about LwM2M paths or types.
//
// The LwM2M layer, Codec (NewJSON, NewCBOR), implements codec.Codec: record
// names are LwM2M paths ("/3/0/0"), values are typed through the object model
// and times become lwm2m.Record timestamps.
//
// Canonical output. The encoders write one form for each input, and the
// golden files in testdata are that form:
//
//   - record keys in the order bn, bt, bu, bv, bs, bver, n, u, t, ut, v, vs,
//     vb, vd, vlo, s (RFC 8428's examples use this order); CBOR uses the
//     integer labels of RFC 8428 §6 and the text key "vlo";
//   - integers as integers; floats in CBOR as the shortest of half, single or
//     double precision that holds the value exactly, in JSON in Go's shortest
//     'g' form with ".0" appended to whole numbers so they stay floats;
//   - JSON without insignificant whitespace and without HTML escaping;
//   - a base name on the first record only: the records' longest common
//     path followed by "/" and relative names ("bn":"/3/0/", "n":"6/0"); the
//     full path and no name for a single record; no base name and absolute
//     names when the records share no object;
//   - times as "bt" on every record whose time differs from the previous
//     record's, in whole Unix seconds when the time has no fraction.
//
// Decoding follows RFC 8428: unknown fields are ignored unless their label
// ends in "_" (must-understand), a bver above 10 is refused, times below 2^28
// are relative to the codec's clock. An empty payload decodes as an empty
// pack, as Leshan does.
package senml
