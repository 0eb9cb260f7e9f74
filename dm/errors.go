package dm

import "errors"

// Typed errors. Stores wrap them with context ("device 42: not found"), so
// test with errors.Is; the API maps each to one HTTP status at its edge.
var (
	// ErrNotFound: the record does not exist (or is not visible to the
	// caller).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change collides with existing data — a duplicate
	// endpoint, name, PSK identity or certificate fingerprint, a record still
	// referenced elsewhere, or a state transition that is no longer possible.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed or refers to something that does
	// not exist (an unknown profile or customer id).
	ErrInvalid = errors.New("invalid")
	// ErrQueueFull: a device's command queue is at its depth limit.
	ErrQueueFull = errors.New("command queue full")
)

// ErrUnauthorized: a bearer token is missing, unknown, revoked or expired.
var ErrUnauthorized = errors.New("unauthorized")

// ErrForbidden: the caller's role may not do this. A customer-scoped
// caller gets ErrNotFound, not ErrForbidden, for another customer's
// records: to it they do not exist.
var ErrForbidden = errors.New("forbidden")
