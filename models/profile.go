package models

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Profile is the configuration template devices get: what to observe, how
// notifications map to telemetry and attributes, and command policy.
type Profile struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Spec        ProfileSpec `json:"spec"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// ObserveStrategy says how a profile's observations are established.
type ObserveStrategy string

// Observation strategies: one Observe per path, one Observe-Composite for
// all paths, or one Observe-Composite per object.
const (
	ObserveSingle             ObserveStrategy = "single"
	ObserveCompositeAll       ObserveStrategy = "composite-all"
	ObserveCompositePerObject ObserveStrategy = "composite-per-object"
)

// ProfileSpec is a profile's configuration, stored as one JSON document.
type ProfileSpec struct {
	Observe    ObserveSpec   `json:"observe,omitzero"`
	Telemetry  []PathMapping `json:"telemetry,omitempty"`  // resource path → telemetry key
	Attributes []PathMapping `json:"attributes,omitempty"` // resource path → attribute name
	// Format is the preferred content format for reads and writes; nil
	// lets the server choose from what the device announced.
	Format *lwm2m.ContentFormat `json:"format,omitempty"`
	// AwakeWindow is how long a queue-mode device stays reachable after it
	// last spoke.
	AwakeWindow Duration `json:"awake_window,omitempty"`
	// Retry is the command retry policy; CommandExpiry the default lifetime
	// of a queued command (0: never expires).
	Retry         RetryPolicy `json:"retry,omitzero"`
	CommandExpiry Duration    `json:"command_expiry,omitempty"`
	// TargetFirmware, when set, is the version devices of this profile
	// should run (issue 7).
	TargetFirmware *FirmwareTarget `json:"target_firmware,omitempty"`
}

// ObserveSpec lists the observations to establish on every registration.
type ObserveSpec struct {
	Strategy ObserveStrategy `json:"strategy,omitempty"`
	Targets  []ObserveTarget `json:"targets,omitempty"`
}

// ObserveTarget is one observed path with the attributes written before it
// is observed.
type ObserveTarget struct {
	Path       lwm2m.Path       `json:"path"`
	Attributes lwm2m.Attributes `json:"attributes,omitzero"`
}

// PathMapping maps a resource path to a telemetry key or attribute name.
type PathMapping struct {
	Path lwm2m.Path `json:"path"`
	Name string     `json:"name"`
}

// RetryPolicy bounds command delivery attempts. The delay before attempt n
// (n ≥ 2) is Backoff·Multiplier^(n-2), capped at MaxBackoff when set.
type RetryPolicy struct {
	MaxAttempts int      `json:"max_attempts,omitempty"`
	Backoff     Duration `json:"backoff,omitempty"`
	Multiplier  float64  `json:"multiplier,omitempty"`
	MaxBackoff  Duration `json:"max_backoff,omitempty"`
}

// FirmwareTarget names the firmware a profile's devices should run.
type FirmwareTarget struct {
	Version string `json:"version"`
	ImageID int64  `json:"image_id,omitempty"`
}
