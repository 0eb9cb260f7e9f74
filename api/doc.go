// Package api is Shoal's REST interface: JSON under /api/v1 (devices,
// profiles, LwM2M operations, commands, telemetry, attributes, events),
// a Server-Sent Events stream of live events, an OpenAPI 3 document that
// describes every route, Prometheus metrics and bearer-token
// authentication.
//
// The package owns the wire shapes (the DTOs in dto_*.go, kept apart from
// package models) and the translation of errors into RFC 9457 problem
// documents, which happens in exactly one function (problemFor). Use cases
// live in package dm; api only parses, validates the shape of input,
// calls the *dm.Service and renders the answer.
package api
