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
}

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
)

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
}
