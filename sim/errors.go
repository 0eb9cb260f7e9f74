package sim

import "errors"

// Sentinel errors, wrapped with context where they happen.
var (
	// ErrConfig: a fleet, demo or console setting is invalid.
	ErrConfig = errors.New("sim: invalid configuration")
	// ErrProvision: the devices' credentials could not be created.
	ErrProvision = errors.New("sim: provisioning failed")
	// ErrCommand: a console command is unknown or malformed.
	ErrCommand = errors.New("sim: bad command")
)
