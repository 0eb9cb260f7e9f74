package models

import "time"

// WebhookChannel is an HTTP endpoint that receives events as signed JSON
// POSTs. EventTypes lists the event types it takes ("registered",
// "alarm.raised", …; "*" for all); AlarmTypes narrows alarm events to the
// alarm types listed ("threshold", "offline", …; "*" or empty for all).
// A channel of a customer receives only that customer's events. Secret
// keys the HMAC-SHA256 signature; it is kept encrypted and never shown.
type WebhookChannel struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	URL        string    `json:"url"`
	Secret     string    `json:"-"`
	EventTypes []string  `json:"event_types"`
	AlarmTypes []string  `json:"alarm_types,omitempty"`
	CustomerID int64     `json:"customer_id,omitempty"`
	Disabled   bool      `json:"disabled,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// DeliveryState is where a webhook delivery is.
type DeliveryState string

// Delivery states: pending (first attempt or a retry still to come),
// succeeded (the receiver answered 2xx), failed (attempts exhausted).
const (
	DeliveryPending   DeliveryState = "pending"
	DeliverySucceeded DeliveryState = "succeeded"
	DeliveryFailed    DeliveryState = "failed"
)

// WebhookDelivery is one event sent (or being sent) to one channel: the
// channel's delivery log. Payload is the exact body signed and POSTed;
// StatusCode and Error describe the last attempt.
type WebhookDelivery struct {
	ID            int64         `json:"id"`
	ChannelID     int64         `json:"channel_id"`
	EventID       int64         `json:"event_id,omitempty"`
	EventType     string        `json:"event_type"`
	State         DeliveryState `json:"state"`
	Attempts      int           `json:"attempts"`
	MaxAttempts   int           `json:"max_attempts"`
	StatusCode    int           `json:"status_code,omitempty"`
	Error         string        `json:"error,omitempty"`
	Payload       []byte        `json:"-"`
	NextAttemptAt time.Time     `json:"next_attempt_at,omitzero"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}
