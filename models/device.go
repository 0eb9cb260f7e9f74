package models

import "time"

// DeviceStatus is a device's connection status.
type DeviceStatus string

// Connection statuses: registered and reachable, registered in queue mode
// and sleeping, lifetime expired or deregistered, never registered.
const (
	StatusOnline  DeviceStatus = "online"
	StatusAsleep  DeviceStatus = "asleep"
	StatusOffline DeviceStatus = "offline"
	StatusNever   DeviceStatus = "never"
)

// Device is one managed LwM2M client, known by its endpoint name.
type Device struct {
	ID         int64             `json:"id"`
	Endpoint   string            `json:"endpoint"`
	Name       string            `json:"name,omitempty"`
	CustomerID int64             `json:"customer_id,omitempty"`
	ProfileID  int64             `json:"profile_id,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Status     DeviceStatus      `json:"status"`
	LastSeen   time.Time         `json:"last_seen,omitzero"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// DeviceSelection picks devices for commands and campaigns. Non-empty
// fields are combined with AND; the entries of IDs and Endpoints with OR;
// every label must match.
type DeviceSelection struct {
	IDs        []int64           `json:"ids,omitempty"`
	Endpoints  []string          `json:"endpoints,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	ProfileID  int64             `json:"profile_id,omitempty"`
	CustomerID int64             `json:"customer_id,omitempty"`
	AssetID    int64             `json:"asset_id,omitempty"`
}
