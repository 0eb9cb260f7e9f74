package ca

import "errors"

// Errors callers test with errors.Is.
var (
	// ErrNotInitialised: the data directory holds no CA (run `shoal ca init`).
	ErrNotInitialised = errors.New("ca: no certificate authority in the data directory (run shoal ca init)")
	// ErrExists: Init found a CA already there and was not told to replace it.
	ErrExists = errors.New("ca: a certificate authority already exists")
	// ErrSealedKey: ca.key is malformed or does not open with this secret key.
	ErrSealedKey = errors.New("ca: the sealed CA key cannot be opened")
	// ErrCertificate: ca.crt is not a usable CA certificate.
	ErrCertificate = errors.New("ca: bad CA certificate")
	// ErrRequest: an issue request is invalid (empty name, bad validity).
	ErrRequest = errors.New("ca: invalid request")
)
