package server

import "errors"

// Errors returned by Server.Send and the stores; each is wrapped with
// context (the endpoint, the operation).
var (
	// ErrNotRegistered: no registration for the endpoint.
	ErrNotRegistered = errors.New("device not registered")
	// ErrTimeout: the device did not answer within the request's timeout.
	ErrTimeout = errors.New("device did not answer in time")
	// ErrDeviceAsleep: a queue-mode device was not heard from before the
	// request's deadline, so the request was never sent.
	ErrDeviceAsleep = errors.New("device asleep")
	// ErrQueueFull: too many requests are already held for the device.
	ErrQueueFull = errors.New("request queue full")
	// ErrNotConnected: the device's DTLS session is gone (closed, or the
	// server restarted); it must handshake again before it can be reached.
	ErrNotConnected = errors.New("device not connected")
	// ErrInvalidRequest: the request does not fit its operation, or its
	// content cannot be encoded in the chosen format.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrBadResponse: the device's answer could not be decoded.
	ErrBadResponse = errors.New("undecodable response")
	// ErrUnknownCredential is what a CredentialStore returns when it knows
	// no such identity or certificate.
	ErrUnknownCredential = errors.New("unknown credential")
	// ErrClosed: the server is shutting down.
	ErrClosed = errors.New("server closed")
)
