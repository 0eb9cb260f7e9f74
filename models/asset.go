package models

import "time"

// Asset is a place or thing devices belong to: a site, building, floor,
// cabinet… Type is free text.
type Asset struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	CustomerID int64             `json:"customer_id,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// EntityKind is what a relation end refers to.
type EntityKind string

// Relation end kinds.
const (
	EntityDevice EntityKind = "device"
	EntityAsset  EntityKind = "asset"
)

// EntityRef names one device or asset.
type EntityRef struct {
	Kind EntityKind `json:"kind"`
	ID   int64      `json:"id"`
}

// Relation is a typed, directed edge From → To ("contains", "manages", …).
type Relation struct {
	From      EntityRef `json:"from"`
	To        EntityRef `json:"to"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

// RelationContains is the relation type that builds the asset hierarchy.
const RelationContains = "contains"
