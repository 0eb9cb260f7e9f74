package models

import (
	"encoding/json"
	"time"
)

// AlarmSeverity ranks alarms.
type AlarmSeverity string

// Severities, most severe first.
const (
	SeverityCritical AlarmSeverity = "critical"
	SeverityMajor    AlarmSeverity = "major"
	SeverityMinor    AlarmSeverity = "minor"
	SeverityWarning  AlarmSeverity = "warning"
	SeverityInfo     AlarmSeverity = "info"
)

// AlarmState is an alarm's lifecycle state: active → acknowledged → cleared
// (or active → cleared).
type AlarmState string

// Alarm states.
const (
	AlarmActive       AlarmState = "active"
	AlarmAcknowledged AlarmState = "acknowledged"
	AlarmCleared      AlarmState = "cleared"
)

// Alarm is a raised condition on a device. Rule identifies the rule that
// raised it; there is at most one uncleared alarm per (DeviceID, Rule), and
// a repeat bumps Count instead of adding another.
type Alarm struct {
	ID         int64           `json:"id"`
	DeviceID   int64           `json:"device_id"`
	CustomerID int64           `json:"customer_id,omitempty"`
	Rule       string          `json:"rule"`
	Type       string          `json:"type"`
	Severity   AlarmSeverity   `json:"severity"`
	State      AlarmState      `json:"state"`
	Message    string          `json:"message,omitempty"`
	Details    json.RawMessage `json:"details,omitempty"`
	Count      int64           `json:"count"`
	StartedAt  time.Time       `json:"started_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	AckedAt    time.Time       `json:"acked_at,omitzero"`
	AckedBy    string          `json:"acked_by,omitempty"`
	ClearedAt  time.Time       `json:"cleared_at,omitzero"`
}
