package dm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/shoal-iot/shoal/models"
)

// Limits on webhook channels.
const (
	maxWebhookURL    = 2048
	maxWebhookTypes  = 64
	maxEventTypeLen  = 64
	minWebhookSecret = 16
	maxWebhookSecret = 256
)

// WebhookInput creates a webhook channel. An empty Secret is generated
// (and returned once). Customer (an id) makes it a customer's channel,
// which receives only that customer's events; a customer's own channels
// are always its customer's.
type WebhookInput struct {
	Name       string
	URL        string
	Secret     string
	EventTypes []string
	AlarmTypes []string
	Customer   int64
	Disabled   bool
}

// WebhookPatch changes a channel: nil fields stay; a non-empty Secret
// replaces the secret.
type WebhookPatch struct {
	Name       *string
	URL        *string
	Secret     *string
	EventTypes []string
	AlarmTypes []string
	Disabled   *bool
}

// CreateWebhook adds a channel and returns it with its secret when Shoal
// generated it ("" when the caller gave one).
func (s *Service) CreateWebhook(ctx context.Context, who Principal, in WebhookInput) (models.WebhookChannel, string, error) {
	c := models.WebhookChannel{Name: strings.TrimSpace(in.Name), URL: strings.TrimSpace(in.URL), Secret: in.Secret,
		EventTypes: in.EventTypes, AlarmTypes: in.AlarmTypes, CustomerID: in.Customer, Disabled: in.Disabled}
	if who.scoped() {
		if err := who.scopeCustomer(&c.CustomerID); err != nil {
			return models.WebhookChannel{}, "", err
		}
		if c.CustomerID != who.CustomerID {
			return models.WebhookChannel{}, "", notFound("customer", in.Customer)
		}
	}
	generated := ""
	if c.Secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return models.WebhookChannel{}, "", err
		}
		c.Secret = "whsec_" + base64.RawURLEncoding.EncodeToString(b)
		generated = c.Secret
	}
	if err := checkWebhook(&c); err != nil {
		return models.WebhookChannel{}, "", err
	}
	if err := s.st.Webhooks.Create(ctx, &c); err != nil {
		return models.WebhookChannel{}, "", err
	}
	s.rt.hooks.reload(ctx)
	s.record(ctx, webhookEvent(c, "webhook.created", who))
	return c, generated, nil
}

// GetWebhook returns a channel the caller may see (its secret included:
// callers must not show it).
func (s *Service) GetWebhook(ctx context.Context, who Principal, id int64) (models.WebhookChannel, error) {
	c, err := s.st.Webhooks.Get(ctx, id)
	if errors.Is(err, ErrNotFound) || err == nil && !who.sees(c.CustomerID) {
		return models.WebhookChannel{}, notFound("webhook", id)
	}
	return c, err
}

// ListWebhooks lists channels in id order; a customer lists its own.
func (s *Service) ListWebhooks(ctx context.Context, who Principal, p PageRequest) (Page[models.WebhookChannel], error) {
	var cust int64
	if err := who.scopeCustomer(&cust); err != nil {
		return Page[models.WebhookChannel]{}, err
	}
	return s.st.Webhooks.List(ctx, cust, p)
}

// UpdateWebhook changes a channel.
func (s *Service) UpdateWebhook(ctx context.Context, who Principal, id int64, patch WebhookPatch) (models.WebhookChannel, error) {
	c, err := s.GetWebhook(ctx, who, id)
	if err != nil {
		return models.WebhookChannel{}, err
	}
	if patch.Name != nil {
		c.Name = strings.TrimSpace(*patch.Name)
	}
	if patch.URL != nil {
		c.URL = strings.TrimSpace(*patch.URL)
	}
	if patch.Secret != nil {
		c.Secret = *patch.Secret
	}
	if patch.EventTypes != nil {
		c.EventTypes = patch.EventTypes
	}
	if patch.AlarmTypes != nil {
		c.AlarmTypes = patch.AlarmTypes
	}
	if patch.Disabled != nil {
		c.Disabled = *patch.Disabled
	}
	if err := checkWebhook(&c); err != nil {
		return models.WebhookChannel{}, err
	}
	if err := s.st.Webhooks.Update(ctx, &c); err != nil {
		return models.WebhookChannel{}, err
	}
	s.rt.hooks.reload(ctx)
	s.record(ctx, webhookEvent(c, "webhook.updated", who))
	return c, nil
}

// DeleteWebhook deletes a channel and its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, who Principal, id int64) error {
	c, err := s.GetWebhook(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.st.Webhooks.Delete(ctx, id); err != nil {
		return err
	}
	s.rt.hooks.reload(ctx)
	s.record(ctx, webhookEvent(c, "webhook.deleted", who))
	return nil
}

// ListDeliveries lists a channel's delivery log, newest first.
func (s *Service) ListDeliveries(ctx context.Context, who Principal, id int64, states []models.DeliveryState, p PageRequest) (Page[models.WebhookDelivery], error) {
	if _, err := s.GetWebhook(ctx, who, id); err != nil {
		return Page[models.WebhookDelivery]{}, err
	}
	return s.st.Deliveries.List(ctx, id, states, p)
}

// checkWebhookURL accepts absolute http and https URLs with a host and no
// credentials.
func checkWebhookURL(raw string) error {
	if raw == "" {
		return invalid("url", "is required")
	}
	if len(raw) > maxWebhookURL {
		return invalid("url", "%d bytes, at most %d", len(raw), maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid("url", "%q does not parse: %v", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return invalid("url", "scheme %q: only http and https are delivered to", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return invalid("url", "%q has no host", raw)
	case u.User != nil:
		return invalid("url", "credentials in the URL are not allowed; the signature authenticates Shoal")
	case u.Fragment != "":
		return invalid("url", "a fragment is never sent; leave it out")
	}
	return nil
}

func checkWebhook(c *models.WebhookChannel) error {
	if err := checkWebhookURL(c.URL); err != nil {
		return err
	}
	if err := checkName(c.Name); err != nil {
		return err
	}
	switch {
	case len(c.Secret) < minWebhookSecret || len(c.Secret) > maxWebhookSecret:
		return invalid("secret", "must be %d to %d bytes", minWebhookSecret, maxWebhookSecret)
	case len(c.EventTypes) == 0:
		return invalid("event_types", "name at least one event type (\"*\" for all)")
	case len(c.EventTypes) > maxWebhookTypes || len(c.AlarmTypes) > maxWebhookTypes:
		return invalid("event_types", "at most %d types", maxWebhookTypes)
	case c.CustomerID < 0:
		return invalid("customer", "%d is not a customer id", c.CustomerID)
	}
	for _, t := range c.EventTypes {
		if t == "" || len(t) > maxEventTypeLen || strings.ContainsFunc(t, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) {
			return invalid("event_types", "%q is not an event type", t)
		}
	}
	kinds := []string{"*", string(models.RuleThreshold), string(models.RuleOffline), string(models.RuleFirmwareFailed), string(models.RuleAuthFailures)}
	for _, t := range c.AlarmTypes {
		if !slices.Contains(kinds, t) {
			return invalid("alarm_types", "%q is not one of %v", t, kinds)
		}
	}
	return nil
}

func webhookEvent(c models.WebhookChannel, typ string, who Principal) models.Event {
	return models.Event{CustomerID: c.CustomerID, Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"webhook_id": c.ID, "name": c.Name, "url": c.URL})}
}
