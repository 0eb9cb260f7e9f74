// Package models holds the plain records Shoal keeps: customers, users and
// API tokens, device profiles, devices and their credentials, registrations
// and observations, latest attribute values and telemetry points, events,
// alarms, assets and relations, queued commands, firmware images and
// campaigns.
//
// The types carry data only. Rules about them (who may see what, how a
// command moves through its states, how a profile is applied) live in
// package dm; how they are persisted lives in package storage.
//
// Conventions shared by every record:
//   - IDs are int64 values assigned by the store when a record is created;
//     0 means "not assigned yet", and in a reference field (CustomerID,
//     ProfileID, …) it means "none".
//   - Times are UTC and kept with microsecond precision; a zero time.Time
//     means "not set".
//   - JSON tags give the stored form of the types persisted as JSON
//     (ProfileSpec, DeviceSelection); the REST API has its own DTOs.
package models
