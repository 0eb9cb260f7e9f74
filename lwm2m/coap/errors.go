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

// HandshakeError is what DTLSConfig.OnHandshakeFailed receives for a
// handshake that got as far as the client naming its PSK identity: the
// identity offered (never the key) and the cause. Its text is the cause's.
type HandshakeError struct {
	// PSKIdentity is the identity the client offered (raw bytes; it is
	// untrusted input).
	PSKIdentity []byte
	Err         error
}

func (e *HandshakeError) Error() string { return e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }
