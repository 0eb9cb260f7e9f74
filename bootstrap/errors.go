package bootstrap

import "errors"

// Errors callers test with errors.Is.
var (
	// ErrQuery: a Bootstrap-Request's query is malformed.
	ErrQuery = errors.New("bootstrap: malformed Bootstrap-Request query")
	// ErrPlan: a Provisioner's plan cannot be written (no account,
	// duplicate or out-of-range Short Server IDs, missing keys).
	ErrPlan = errors.New("bootstrap: invalid plan")
	// ErrSuperseded ends a session when the same endpoint sent a new
	// Bootstrap-Request before it finished.
	ErrSuperseded = errors.New("bootstrap: superseded by a newer Bootstrap-Request")
	// ErrClosed ends a session when the server stops.
	ErrClosed = errors.New("bootstrap: server stopped")
)
