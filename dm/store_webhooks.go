package dm

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// WebhookStore keeps webhook channels in ID order; secrets are encrypted
// at rest. Deleting a channel deletes its delivery log.
type WebhookStore interface {
	Create(ctx context.Context, c *models.WebhookChannel) error
	Get(ctx context.Context, id int64) (models.WebhookChannel, error)
	// Update replaces every field but the secret when c.Secret is empty.
	Update(ctx context.Context, c *models.WebhookChannel) error
	Delete(ctx context.Context, id int64) error
	// List lists the channels of a customer (0: all channels).
	List(ctx context.Context, customerID int64, p PageRequest) (Page[models.WebhookChannel], error)
}

// DeliveryStore keeps the webhook delivery log, newest first.
type DeliveryStore interface {
	// Create stores d (ID, CreatedAt, UpdatedAt set). An unknown channel
	// is ErrInvalid.
	Create(ctx context.Context, d *models.WebhookDelivery) error
	Get(ctx context.Context, id int64) (models.WebhookDelivery, error)
	// Update stores the outcome of an attempt: state, attempts, status
	// code, error and next attempt time.
	Update(ctx context.Context, d *models.WebhookDelivery) error
	// List lists a channel's deliveries (all states when states is empty).
	List(ctx context.Context, channelID int64, states []models.DeliveryState, p PageRequest) (Page[models.WebhookDelivery], error)
	// Due returns up to limit pending deliveries whose NextAttemptAt is at
	// or before now, oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]models.WebhookDelivery, error)
	// Claim takes a due delivery for one attempt: it moves NextAttemptAt
	// from d.NextAttemptAt to until and reports whether it did, so two
	// nodes never send the same retry at once.
	Claim(ctx context.Context, d models.WebhookDelivery, until time.Time) (bool, error)
}
