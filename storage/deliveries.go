package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// DeliveryRepo implements dm.DeliveryStore: the webhook delivery log,
// which is also the retry queue (pending rows with a next attempt time).
type DeliveryRepo struct{ s *Store }

var _ dm.DeliveryStore = DeliveryRepo{}

// Deliveries returns the webhook delivery repository.
func (s *Store) Deliveries() DeliveryRepo { return DeliveryRepo{s} }

const deliveryCols = "a.id, a.channel_id, a.event_id, a.event_type, a.state, a.attempts, a.max_attempts, a.status_code, a.error, a.payload, a.next_attempt_at, a.created_at, a.updated_at"

func scanDelivery(sc scanner) (models.WebhookDelivery, error) {
	var d models.WebhookDelivery
	var ev sql.NullInt64
	var state string
	var next, created, updated dbTime
	err := sc.Scan(&d.ID, &d.ChannelID, &ev, &d.EventType, &state, &d.Attempts, &d.MaxAttempts, &d.StatusCode, &d.Error,
		&d.Payload, &next, &created, &updated)
	d.EventID, d.State = ev.Int64, models.DeliveryState(state)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = next.T, created.T, updated.T
	return d, err
}

func validDeliveryState(st models.DeliveryState) bool {
	return st == models.DeliveryPending || st == models.DeliverySucceeded || st == models.DeliveryFailed
}

// Create implements dm.DeliveryStore.
func (r DeliveryRepo) Create(ctx context.Context, d *models.WebhookDelivery) error {
	s := r.s
	what := fmt.Sprintf("create delivery of event %d to webhook %d", d.EventID, d.ChannelID)
	if d.State == "" {
		d.State = models.DeliveryPending
	}
	if !validDeliveryState(d.State) || d.EventType == "" || d.Payload == nil {
		return s.wrap(fmt.Errorf("%w: a delivery needs a state, an event type and a payload", dm.ErrInvalid), what)
	}
	if d.MaxAttempts < 1 {
		d.MaxAttempts = 1
	}
	stamp(s, &d.CreatedAt, &d.UpdatedAt)
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO webhook_deliveries (channel_id, event_id, event_type, state, attempts, max_attempts, status_code, error, payload, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		d.ChannelID, nullID(d.EventID), d.EventType, string(d.State), d.Attempts, d.MaxAttempts, d.StatusCode, d.Error, d.Payload,
		s.t(d.NextAttemptAt), s.t(d.CreatedAt), s.t(d.UpdatedAt)).Scan(&d.ID)
	return s.wrap(err, what)
}

// Get implements dm.DeliveryStore.
func (r DeliveryRepo) Get(ctx context.Context, id int64) (models.WebhookDelivery, error) {
	d, err := scanDelivery(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+deliveryCols+" FROM webhook_deliveries a WHERE a.id = ?"), id))
	return d, r.s.wrap(err, fmt.Sprintf("delivery %d", id))
}

// Update implements dm.DeliveryStore.
func (r DeliveryRepo) Update(ctx context.Context, d *models.WebhookDelivery) error {
	s := r.s
	what := fmt.Sprintf("update delivery %d", d.ID)
	if !validDeliveryState(d.State) {
		return s.wrap(fmt.Errorf("%w: delivery state %q", dm.ErrInvalid, d.State), what)
	}
	d.UpdatedAt = s.now()
	err := affected(s.w.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET state = ?, attempts = ?, status_code = ?, error = ?, next_attempt_at = ?, updated_at = ?
		WHERE id = ?`),
		string(d.State), d.Attempts, d.StatusCode, d.Error, s.t(d.NextAttemptAt), s.t(d.UpdatedAt), d.ID))
	return s.wrap(err, what)
}

// List implements dm.DeliveryStore.
func (r DeliveryRepo) List(ctx context.Context, channelID int64, states []models.DeliveryState, p dm.PageRequest) (dm.Page[models.WebhookDelivery], error) {
	lq := listQuery{cols: deliveryCols, from: "webhook_deliveries a", desc: true}
	lq.w.add("a.channel_id = ?", channelID)
	in(&lq.w, "a.state", states)
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.WebhookDelivery, int64, error) {
		d, err := scanDelivery(rows)
		return d, d.ID, err
	})
	return out, r.s.wrap(err, fmt.Sprintf("list deliveries of webhook %d", channelID))
}

// Due implements dm.DeliveryStore.
func (r DeliveryRepo) Due(ctx context.Context, now time.Time, limit int) ([]models.WebhookDelivery, error) {
	s := r.s
	rows, err := s.r.QueryContext(ctx, s.q("SELECT "+deliveryCols+" FROM webhook_deliveries a WHERE a.state = 'pending' AND a.next_attempt_at <= ? ORDER BY a.next_attempt_at, a.id LIMIT ?"),
		s.t(now), limit)
	if err != nil {
		return nil, s.wrap(err, "due deliveries")
	}
	return collect(rows, scanDelivery, s, "due deliveries")
}

// Claim implements dm.DeliveryStore with a compare-and-set on the next
// attempt time.
func (r DeliveryRepo) Claim(ctx context.Context, d models.WebhookDelivery, until time.Time) (bool, error) {
	s := r.s
	res, err := s.w.ExecContext(ctx, s.q("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND state = 'pending' AND next_attempt_at = ?"),
		s.t(until), d.ID, s.t(d.NextAttemptAt))
	if err != nil {
		return false, s.wrap(err, fmt.Sprintf("claim delivery %d", d.ID))
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err, fmt.Sprintf("claim delivery %d", d.ID))
}
