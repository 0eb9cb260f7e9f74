package client

import "errors"

// Sentinel errors; each is wrapped with context where it happens.
var (
	// ErrConfig: the configuration or an object definition is invalid.
	ErrConfig = errors.New("client: invalid configuration")
	// ErrNotRegistered: the client has no registration with its server.
	ErrNotRegistered = errors.New("client: not registered")
	// ErrRegistration: the server refused a Register or Update.
	ErrRegistration = errors.New("client: registration refused")
	// ErrBootstrap: the bootstrap sequence failed.
	ErrBootstrap = errors.New("client: bootstrap failed")
	// ErrUnknownPath: a local accessor named a path the tree lacks.
	ErrUnknownPath = errors.New("client: no such path")
	// ErrType: a local accessor gave a value the model's type rejects.
	ErrType = errors.New("client: value does not fit the resource")
	// ErrDownload: a firmware download failed.
	ErrDownload = errors.New("client: firmware download failed")
)

// access says on whose behalf an operation runs: checks differ.
type access uint8

const (
	// byServer is a management server: model operations are enforced and
	// the Security object is out of reach.
	byServer access = iota
	// byBootstrap is the bootstrap server: it writes read-only resources
	// and reaches the Security object.
	byBootstrap
	// byDevice is the device itself (accessors, simulation).
	byDevice
)
