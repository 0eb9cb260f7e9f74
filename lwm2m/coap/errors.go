package coap

import "errors"

// Errors returned by the engine; each is wrapped with context.
var (
	// ErrTimeout: no answer before the retransmissions ran out or the
	// request's context deadline passed.
	ErrTimeout = errors.New("coap: request timed out")
	// ErrReset: the peer answered our message with RST.
	ErrReset = errors.New("coap: peer reset the exchange")
	// ErrClosed: the endpoint, connection or DTLS session is closed.
	ErrClosed = errors.New("coap: connection closed")
	// ErrTokenInUse: a request was given a token already in flight.
	ErrTokenInUse = errors.New("coap: token already in use")
	// ErrBodyTooLarge: a block-wise body exceeded Config.MaxBodySize.
	ErrBodyTooLarge = errors.New("coap: body too large")
	// ErrBlockwise: a block-wise transfer went wrong (out-of-order block,
	// changed ETag, missing option).
	ErrBlockwise = errors.New("coap: block-wise transfer failed")
	// ErrAddressInUse: a local address is already taken on a SharedSocket.
	ErrAddressInUse = errors.New("coap: local address already in use")
)
