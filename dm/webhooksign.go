package dm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// Webhook request headers. The signature is HMAC-SHA256 keyed with the
// channel's secret over the exact request body, hex-encoded:
// "X-Shoal-Signature: sha256=<64 hex digits>". X-Shoal-Timestamp is the
// attempt's Unix time in seconds; X-Shoal-Event-Id the event's id (the
// same on every attempt, so receivers can drop repeats), X-Shoal-Delivery
// the delivery's id in the channel's log.
const (
	HeaderSignature = "X-Shoal-Signature"
	HeaderTimestamp = "X-Shoal-Timestamp"
	HeaderEventID   = "X-Shoal-Event-Id"
	HeaderEventType = "X-Shoal-Event"
	HeaderDelivery  = "X-Shoal-Delivery"
)

// signaturePrefix starts the signature header's value.
const signaturePrefix = "sha256="

// ErrBadSignature is returned by VerifyWebhookSignature.
var ErrBadSignature = errors.New("webhook signature does not verify")

// SignWebhook returns the X-Shoal-Signature value of body under secret.
func SignWebhook(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhookSignature checks an X-Shoal-Signature header value against
// body, in constant time; a malformed header says what is wrong with it.
func VerifyWebhookSignature(secret string, body []byte, header string) error {
	h, ok := strings.CutPrefix(strings.TrimSpace(header), signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: header does not start with %q", ErrBadSignature, signaturePrefix)
	}
	if len(h) != 2*sha256.Size {
		return fmt.Errorf("%w: %d hex digits, want %d", ErrBadSignature, len(h), 2*sha256.Size)
	}
	got, err := hex.DecodeString(h)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// webhookPayload is the JSON document POSTed for an event: the event as
// the REST API shows it.
type webhookPayload struct {
	ID         int64           `json:"id"`
	Time       time.Time       `json:"time"`
	DeviceID   int64           `json:"device_id,omitempty"`
	Endpoint   string          `json:"endpoint,omitempty"`
	CustomerID int64           `json:"customer_id,omitempty"`
	Category   string          `json:"category"`
	Type       string          `json:"type"`
	Actor      string          `json:"actor,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// WebhookBody returns the body POSTed for e.
func WebhookBody(e models.Event) ([]byte, error) {
	p := webhookPayload{ID: e.ID, Time: e.Time.UTC(), DeviceID: e.DeviceID, Endpoint: e.Endpoint, CustomerID: e.CustomerID,
		Category: string(e.Category), Type: e.Type, Actor: e.Actor}
	if len(e.Data) > 0 && json.Valid(e.Data) {
		p.Data = e.Data
	}
	return json.Marshal(p)
}
