// Package lwcbor implements two CBOR content formats of LwM2M:
//
//   - LwM2M CBOR (application/vnd.oma.lwm2m+cbor, 11544, Core TS 1.2
//     §7.4.6): one CBOR map whose keys are path ids, nested map by map, where
//     a key may also be an array of ids standing for several levels at once,
//     e.g. {[3, 0]: {0: "Open Mobile Alliance", 6: {0: 1, 1: 5}}}. Leaves are
//     plain CBOR data items; null marks a path without a value (the paths of
//     a Read-Composite request). The format has no place for timestamps.
//     Constructor: New.
//   - application/cbor (60, Core TS 1.1 §7.4.7): a single CBOR data item for
//     one resource or resource instance. Constructor: NewPlain.
//
// Leaves map to LwM2M types as Core TS Appendix C says: integers (major
// types 0 and 1), floats (half, single or double precision; decimal
// fractions, tag 4, are accepted), text strings (String, Corelnk, and Objlnk
// as "object:instance"), byte strings (Opaque), true/false (Boolean) and
// Time, which is written as an epoch-based date/time (tag 1 over an
// integer) and read from a tagged or untagged integer or float, or from a
// date/time string (tag 0 or RFC 3339 text).
//
// Decoding uses a small hand-written CBOR reader over the payload: it never
// allocates by a length read from the payload (every length is checked
// against the bytes that remain first), nesting is bounded by the LwM2M path
// depth, and every error names the byte offset and, when known, the path.
// Encoding writes definite lengths and the shortest form of every number,
// with map keys in ascending path order, so equal content gives equal bytes.
package lwcbor
