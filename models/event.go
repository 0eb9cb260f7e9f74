package models

import (
	"encoding/json"
	"time"
)

// EventCategory groups events.
type EventCategory string

// Event categories.
const (
	CategoryRegistration EventCategory = "registration"
	CategoryOperation    EventCategory = "operation"
	CategorySecurity     EventCategory = "security"
	CategoryAudit        EventCategory = "audit"
	CategoryAlarm        EventCategory = "alarm"
	CategoryFirmware     EventCategory = "firmware"
)

// Event is one entry of the event log. DeviceID and Endpoint are set when
// the event concerns a device; Actor names who caused it (a token, a user,
// "system"). Data is a JSON document whose shape depends on Type.
type Event struct {
	ID         int64           `json:"id"`
	Time       time.Time       `json:"time"`
	DeviceID   int64           `json:"device_id,omitempty"`
	Endpoint   string          `json:"endpoint,omitempty"`
	CustomerID int64           `json:"customer_id,omitempty"`
	Category   EventCategory   `json:"category"`
	Type       string          `json:"type"`
	Actor      string          `json:"actor,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}
