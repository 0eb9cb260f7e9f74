package models

import "time"

// FirmwareImage is an uploaded firmware package. Location says where the
// bytes are kept (a path under the data directory, or a storage key).
type FirmwareImage struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	SHA256     string    `json:"sha256"` // lower-case hex
	Size       int64     `json:"size"`
	Location   string    `json:"location"`
	Models     []string  `json:"models,omitempty"`      // compatible device models (/3/0/1)
	ProfileIDs []int64   `json:"profile_ids,omitempty"` // compatible profiles
	Notes      string    `json:"notes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// CampaignState is a rollout campaign's state.
type CampaignState string

// Campaign states.
const (
	CampaignDraft     CampaignState = "draft"
	CampaignRunning   CampaignState = "running"
	CampaignPaused    CampaignState = "paused"
	CampaignCompleted CampaignState = "completed"
	CampaignCancelled CampaignState = "cancelled"
)

// Campaign rolls an image out to a selection of devices, at most
// Concurrency at once, pausing when more than FailureThreshold devices
// failed (0: never).
type Campaign struct {
	ID               int64           `json:"id"`
	Name             string          `json:"name"`
	ImageID          int64           `json:"image_id"`
	Selection        DeviceSelection `json:"selection"`
	Concurrency      int             `json:"concurrency"`
	FailureThreshold int             `json:"failure_threshold,omitempty"`
	State            CampaignState   `json:"state"`
	StartAfter       time.Time       `json:"start_after,omitzero"`
	StopAfter        time.Time       `json:"stop_after,omitzero"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`

	// The fields below are stored together as the campaign's options.

	// Method is the preferred delivery method, DeliveryPull or
	// DeliveryPush; the other is used for devices that cannot take it.
	// "" prefers pull. Each device's support comes from /5/0/8 and /5/0/9.
	Method string `json:"method,omitempty"`
	// Waves are the sizes of the first waves, in device order; the devices
	// left form the last wave. A wave starts once the one before has
	// finished and WaveDelay has passed.
	Waves     []int    `json:"waves,omitempty"`
	WaveDelay Duration `json:"wave_delay,omitempty"`
	// MaxAttempts bounds the attempts per device when a failure is worth
	// retrying (a lost connection, a timeout); 0 means the server default.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// ProfileID marks the automatic campaign of a profile's target
	// firmware: devices join it as they register with another version.
	ProfileID int64 `json:"profile_id,omitempty"`
	// StateReason says why the campaign paused, completed or was
	// cancelled.
	StateReason string `json:"state_reason,omitempty"`
	// FailureBase is the number of failed devices when the campaign was
	// last resumed; the threshold counts failures beyond it.
	FailureBase int64 `json:"failure_base,omitempty"`
	// Wave is the wave under way and WaveReadyAt when it may start.
	Wave        int       `json:"wave,omitempty"`
	WaveReadyAt time.Time `json:"wave_ready_at,omitzero"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
}

// Firmware delivery methods (Firmware Update object /5, resource 9).
const (
	DeliveryPull = "pull"
	DeliveryPush = "push"
)

// CampaignDeviceState is one device's progress in a campaign.
type CampaignDeviceState string

// Per-device campaign states.
const (
	CampaignDevicePending     CampaignDeviceState = "pending"
	CampaignDeviceDownloading CampaignDeviceState = "downloading"
	CampaignDeviceDownloaded  CampaignDeviceState = "downloaded"
	CampaignDeviceUpdating    CampaignDeviceState = "updating"
	CampaignDeviceSucceeded   CampaignDeviceState = "succeeded"
	CampaignDeviceFailed      CampaignDeviceState = "failed"
	CampaignDeviceCancelled   CampaignDeviceState = "cancelled"
	// CampaignDeviceSkipped: the device is not updated, and that is no
	// failure (it cannot take the image: another model or profile).
	CampaignDeviceSkipped CampaignDeviceState = "skipped"
)

// Active reports whether a device in state s is being updated.
func (s CampaignDeviceState) Active() bool {
	return s == CampaignDeviceDownloading || s == CampaignDeviceDownloaded || s == CampaignDeviceUpdating
}

// Done reports whether state s is final.
func (s CampaignDeviceState) Done() bool {
	switch s {
	case CampaignDeviceSucceeded, CampaignDeviceFailed, CampaignDeviceCancelled, CampaignDeviceSkipped:
		return true
	}
	return false
}

// CampaignDevice tracks one device of a campaign. Method is "push" or
// "pull"; Reason names a failure ("integrity", "timeout", …).
type CampaignDevice struct {
	CampaignID int64               `json:"campaign_id"`
	DeviceID   int64               `json:"device_id"`
	State      CampaignDeviceState `json:"state"`
	Method     string              `json:"method,omitempty"`
	Attempts   int                 `json:"attempts"`
	Reason     string              `json:"reason,omitempty"`
	StartedAt  time.Time           `json:"started_at,omitzero"`
	FinishedAt time.Time           `json:"finished_at,omitzero"`
	UpdatedAt  time.Time           `json:"updated_at"`

	// Endpoint is the device's endpoint (filled in by lists, not stored).
	Endpoint string `json:"endpoint,omitempty"`
	// Wave is the device's wave (0 first).
	Wave int `json:"wave,omitempty"`
	// Deadline ends the stage under way; NextAttemptAt is when a pending
	// device may be tried again after a retryable failure.
	Deadline      time.Time `json:"deadline,omitzero"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// Detail is what the device last reported, raw ("state 1, result 0"),
	// or the error of the last step.
	Detail string `json:"detail,omitempty"`
	// FromVersion is the firmware the device ran before (/3/0/3) and
	// ToVersion what it reported after the update.
	FromVersion string `json:"from_version,omitempty"`
	ToVersion   string `json:"to_version,omitempty"`
	// TokenHash is the SHA-256 (hex) of the one-time token in the Package
	// URI of a pull under way; it is never shown.
	TokenHash string `json:"-"`
}
