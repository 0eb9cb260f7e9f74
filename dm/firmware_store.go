package dm

import (
	"context"
	"io"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// CampaignJobStore is what the firmware engine needs of campaign device
// rows beyond CampaignStore: each row is one device's update job.
// storage.CampaignRepo implements both.
type CampaignJobStore interface {
	// AddDevices inserts the rows (pending unless State says otherwise);
	// a device already in the campaign keeps its row. It returns how many
	// it inserted.
	AddDevices(ctx context.Context, ds []models.CampaignDevice) (int64, error)
	// GetDevice returns one row, with the device's endpoint.
	GetDevice(ctx context.Context, campaignID, deviceID int64) (models.CampaignDevice, error)
	// Active lists every row being updated (downloading, downloaded or
	// updating) across campaigns, with endpoints.
	Active(ctx context.Context) ([]models.CampaignDevice, error)
	// NextWave returns the lowest wave of the campaign that still has
	// pending or active rows; ok is false when none is left.
	NextWave(ctx context.Context, campaignID int64) (wave int, ok bool, err error)
	// Pending lists up to limit pending rows of one wave of a campaign,
	// in device ID order after the device ID after, whose NextAttemptAt
	// is unset or not after now, with endpoints.
	Pending(ctx context.Context, campaignID int64, wave int, after int64, now time.Time, limit int) ([]models.CampaignDevice, error)
	// FinishPending moves every pending row of a campaign to state with
	// the reason, and returns how many it moved.
	FinishPending(ctx context.Context, campaignID int64, state models.CampaignDeviceState, reason string, at time.Time) (int64, error)
	// ByDevice lists a device's rows, newest campaign first.
	ByDevice(ctx context.Context, deviceID int64) ([]models.CampaignDevice, error)
}

// FirmwareStores are the stores of the firmware feature; storage's
// FirmwareStores provides them.
type FirmwareStores struct {
	Images    FirmwareStore
	Campaigns CampaignStore
	Jobs      CampaignJobStore
}

// ImageBlobs keeps the bytes of firmware images (firmware.Dir keeps them
// as files in the data directory). Locations are opaque to dm.
type ImageBlobs interface {
	// Create starts a new blob; the caller writes the image to it and
	// Commits or Aborts.
	Create(ctx context.Context) (BlobWriter, error)
	// Open opens a committed blob for reading.
	Open(location string) (Blob, error)
	// Remove deletes a committed blob; a missing one is no error.
	Remove(location string) error
}

// BlobWriter receives an image's bytes.
type BlobWriter interface {
	io.Writer
	// Commit makes the blob durable and returns its location.
	Commit() (location string, err error)
	// Abort discards what was written; after Commit it does nothing.
	Abort() error
}

// Blob is a committed image, read at any offset by many readers at once.
type Blob interface {
	io.ReaderAt
	io.Closer
	Size() int64
}
