package models

import "time"

// AlarmRuleKind is the condition an alarm rule watches.
type AlarmRuleKind string

// Rule kinds: a telemetry value beyond a threshold, a device offline for
// too long, a failed firmware update, repeated refused handshakes or
// registrations.
const (
	RuleThreshold      AlarmRuleKind = "threshold"
	RuleOffline        AlarmRuleKind = "offline"
	RuleFirmwareFailed AlarmRuleKind = "firmware-failed"
	RuleAuthFailures   AlarmRuleKind = "auth-failures"
)

// AlarmRule raises alarms on the devices it applies to: every device of
// ProfileID, the one device DeviceID, or — neither set — every device.
// The alarms it raises carry Rule = the rule's id in decimal and Type =
// its kind.
type AlarmRule struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	ProfileID int64         `json:"profile_id,omitempty"`
	DeviceID  int64         `json:"device_id,omitempty"`
	Severity  AlarmSeverity `json:"severity"`
	Disabled  bool          `json:"disabled,omitempty"`
	Spec      AlarmRuleSpec `json:"spec"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// AlarmRuleSpec is a rule's condition, stored as one JSON document.
//
//   - threshold: the telemetry value of Key is above Above or below Below
//     (a band when both are set), for at least For; it clears when the
//     value is back within.
//   - offline: the device has been offline (lifetime expired or
//     deregistered) for longer than For; it clears when it registers.
//   - firmware-failed: a firmware update of the device failed; it clears
//     when an update succeeds.
//   - auth-failures: Count refused handshakes or registrations of the
//     device within Window; it clears when the device registers.
type AlarmRuleSpec struct {
	Kind   AlarmRuleKind `json:"kind"`
	Key    string        `json:"key,omitempty"`
	Above  *float64      `json:"above,omitempty"`
	Below  *float64      `json:"below,omitempty"`
	For    Duration      `json:"for,omitempty"`
	Count  int           `json:"count,omitempty"`
	Window Duration      `json:"window,omitempty"`
}
