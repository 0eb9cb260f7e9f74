package models

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// CommandState is where a queued command is in its delivery.
type CommandState string

// Command states. pending and sent are active; the rest are terminal.
const (
	CommandPending   CommandState = "pending"
	CommandSent      CommandState = "sent"
	CommandSucceeded CommandState = "succeeded"
	CommandFailed    CommandState = "failed"
	CommandExpired   CommandState = "expired"
	CommandCancelled CommandState = "cancelled"
)

// Terminal reports whether s is a final state.
func (s CommandState) Terminal() bool {
	return s != CommandPending && s != CommandSent
}

// Command is one downlink operation queued for a device. Attempts counts
// how often it was handed out for sending; NextAttemptAt is the earliest
// time it may be sent (again); a zero ExpiresAt never expires.
type Command struct {
	ID            int64           `json:"id"`
	DeviceID      int64           `json:"device_id"`
	Endpoint      string          `json:"endpoint"`
	Request       lwm2m.Request   `json:"request"`
	State         CommandState    `json:"state"`
	Attempts      int             `json:"attempts"`
	MaxAttempts   int             `json:"max_attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at,omitzero"`
	ExpiresAt     time.Time       `json:"expires_at,omitzero"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Result        *lwm2m.Response `json:"result,omitempty"`
	Error         string          `json:"error,omitempty"`
}
