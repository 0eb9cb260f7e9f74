// Package lwjson implements the OMA LwM2M JSON content format
// (application/vnd.oma.lwm2m+json, 11543; Core TS 1.0 §6.4.4, kept in
// TS 1.1 §7.4.4), the pre-SenML JSON of LwM2M 1.0:
//
//	{"bn":"/3/0/","e":[
//	  {"n":"0","sv":"Open Mobile Alliance"},
//	  {"n":"6/0","v":1},
//	  {"n":"13","v":1367491215}],
//	 "bt":25462634}
//
// Each entry of "e" names a resource or resource instance by "n" relative to
// the base name "bn" (the path is the plain concatenation bn+n, as in
// Leshan; without "bn", or with an empty one, a name starting with "/" is
// absolute and any other is relative to the request path, as in Wakaama)
// and carries exactly one value: "v" (a number: Integer, Unsigned, Float
// or Time in seconds), "sv" (a string: String, Corelnk, or Opaque in
// base64), "bv" (a boolean) or "ov" (an object link "object:instance").
// The model decides the type; a resource it does not know decodes as the
// value's natural type (a whole number as Integer, another number as Float,
// "sv" as String).
//
// Times: an entry's time is bt+t seconds (either may be absent, both may be
// fractional). A sum of zero or less is relative to the time of decoding
// (so "t":-5 without "bt" means five seconds ago; the clock is an option,
// WithNow); a positive sum is Unix time. Entries with neither field are not
// timestamped. The encoder writes absolute "t" values and never "bt".
//
// The decoder is a hand-written scanner over the payload: it allocates only
// for the strings it keeps, bounds nesting, and names the byte offset (and
// the path, once known) in every error.
package lwjson
