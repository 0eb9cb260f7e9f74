package models

import "time"

// AuditEntry records one state-changing API call: who (the token, its
// role and customer), what (the operation, method and path), when, and
// the outcome (the HTTP status; Detail holds the problem's detail when
// the call failed).
type AuditEntry struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	TokenID    int64     `json:"token_id,omitempty"`
	Actor      string    `json:"actor"`
	Role       Role      `json:"role,omitempty"`
	CustomerID int64     `json:"customer_id,omitempty"`
	Operation  string    `json:"operation"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	Success    bool      `json:"success"`
	Detail     string    `json:"detail,omitempty"`
}
