package dm

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// AuditFilter selects audit entries; zero fields match everything.
// From ≤ time < To.
type AuditFilter struct {
	TokenID    int64
	CustomerID int64
	// Success filters by outcome when non-nil.
	Success  *bool
	From, To time.Time
}

// AuditStore keeps the audit log of state-changing API calls, newest
// first.
type AuditStore interface {
	// Append assigns e.ID and e.Time when zero.
	Append(ctx context.Context, e *models.AuditEntry) error
	List(ctx context.Context, f AuditFilter, p PageRequest) (Page[models.AuditEntry], error)
}
