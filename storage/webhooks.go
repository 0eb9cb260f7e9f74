package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// WebhookRepo implements dm.WebhookStore. A channel's secret is sealed
// with the store's key, bound to the channel's id.
type WebhookRepo struct{ s *Store }

var _ dm.WebhookStore = WebhookRepo{}

// Webhooks returns the webhook channel repository.
func (s *Store) Webhooks() WebhookRepo { return WebhookRepo{s} }

const webhookCols = "a.id, a.name, a.url, a.secret, a.event_types, a.alarm_types, a.customer_id, a.disabled, a.created_at, a.updated_at"

func webhookAAD(id int64) string { return fmt.Sprintf("shoal/webhook/secret/%d", id) }

func (r WebhookRepo) scan(sc scanner) (models.WebhookChannel, error) {
	var c models.WebhookChannel
	var secret []byte
	var evs, alarms string
	var cust sql.NullInt64
	var created, updated dbTime
	if err := sc.Scan(&c.ID, &c.Name, &c.URL, &secret, &evs, &alarms, &cust, &c.Disabled, &created, &updated); err != nil {
		return c, err
	}
	c.CustomerID, c.CreatedAt, c.UpdatedAt = cust.Int64, created.T, updated.T
	if err := json.Unmarshal([]byte(evs), &c.EventTypes); err != nil {
		return c, fmt.Errorf("webhook %d: stored event types: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(alarms), &c.AlarmTypes); err != nil {
		return c, fmt.Errorf("webhook %d: stored alarm types: %w", c.ID, err)
	}
	if len(secret) > 0 {
		plain, err := r.s.box.open(secret, webhookAAD(c.ID))
		if err != nil {
			return c, fmt.Errorf("webhook %d: secret: %w", c.ID, err)
		}
		c.Secret = string(plain)
	}
	return c, nil
}

func checkWebhook(c *models.WebhookChannel) (evs, alarms string, err error) {
	if strings.TrimSpace(c.URL) == "" {
		return "", "", fmt.Errorf("%w: webhook url is empty", dm.ErrInvalid)
	}
	if c.EventTypes == nil {
		c.EventTypes = []string{}
	}
	if c.AlarmTypes == nil {
		c.AlarmTypes = []string{}
	}
	a, _ := json.Marshal(c.EventTypes)
	b, _ := json.Marshal(c.AlarmTypes)
	return string(a), string(b), nil
}

func (r WebhookRepo) sealSecret(ctx context.Context, tx *sqlTx, c *models.WebhookChannel) error {
	if c.Secret == "" {
		return nil
	}
	sealed, err := r.s.box.seal([]byte(c.Secret), webhookAAD(c.ID))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, r.s.q("UPDATE webhooks SET secret = ? WHERE id = ?"), sealed, c.ID)
	return err
}

// Create implements dm.WebhookStore.
func (r WebhookRepo) Create(ctx context.Context, c *models.WebhookChannel) error {
	s := r.s
	what := fmt.Sprintf("create webhook %q", c.Name)
	evs, alarms, err := checkWebhook(c)
	if err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &c.CreatedAt, &c.UpdatedAt)
	err = s.inTx(ctx, func(tx *sqlTx) error {
		if err := tx.QueryRowxContext(ctx, s.q(`INSERT INTO webhooks (name, url, event_types, alarm_types, customer_id, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.Name, c.URL, evs, alarms, nullID(c.CustomerID), c.Disabled, s.t(c.CreatedAt), s.t(c.UpdatedAt)).Scan(&c.ID); err != nil {
			return err
		}
		return r.sealSecret(ctx, tx, c)
	})
	return s.wrap(err, what)
}

// Get implements dm.WebhookStore.
func (r WebhookRepo) Get(ctx context.Context, id int64) (models.WebhookChannel, error) {
	c, err := r.scan(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+webhookCols+" FROM webhooks a WHERE a.id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("webhook %d", id))
}

// Update implements dm.WebhookStore.
func (r WebhookRepo) Update(ctx context.Context, c *models.WebhookChannel) error {
	s := r.s
	what := fmt.Sprintf("update webhook %d", c.ID)
	evs, alarms, err := checkWebhook(c)
	if err != nil {
		return s.wrap(err, what)
	}
	c.UpdatedAt = s.now()
	err = s.inTx(ctx, func(tx *sqlTx) error {
		if err := affected(tx.ExecContext(ctx, s.q(`UPDATE webhooks SET name = ?, url = ?, event_types = ?, alarm_types = ?, customer_id = ?, disabled = ?, updated_at = ?
			WHERE id = ?`),
			c.Name, c.URL, evs, alarms, nullID(c.CustomerID), c.Disabled, s.t(c.UpdatedAt), c.ID)); err != nil {
			return err
		}
		return r.sealSecret(ctx, tx, c)
	})
	return s.wrap(err, what)
}

// Delete implements dm.WebhookStore; the delivery log goes with it.
func (r WebhookRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM webhooks WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete webhook %d", id))
}

// List implements dm.WebhookStore.
func (r WebhookRepo) List(ctx context.Context, customerID int64, p dm.PageRequest) (dm.Page[models.WebhookChannel], error) {
	lq := listQuery{cols: webhookCols, from: "webhooks a"}
	if customerID != 0 {
		lq.w.add("a.customer_id = ?", customerID)
	}
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.WebhookChannel, int64, error) {
		c, err := r.scan(rows)
		return c, c.ID, err
	})
	return out, r.s.wrap(err, "list webhooks")
}
