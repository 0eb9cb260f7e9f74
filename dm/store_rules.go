package dm

import (
	"context"

	"github.com/shoal-iot/shoal/models"
)

// AlarmRuleFilter selects alarm rules; zero fields match everything.
type AlarmRuleFilter struct {
	ProfileID int64
	DeviceID  int64
	Kind      models.AlarmRuleKind
}

// AlarmRuleStore keeps alarm rules in ID order. A rule's profile or
// device must exist (ErrInvalid); deleting the profile or device deletes
// its rules.
type AlarmRuleStore interface {
	Create(ctx context.Context, r *models.AlarmRule) error
	Get(ctx context.Context, id int64) (models.AlarmRule, error)
	// Update replaces name, attachment, severity, disabled and spec.
	Update(ctx context.Context, r *models.AlarmRule) error
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, f AlarmRuleFilter, p PageRequest) (Page[models.AlarmRule], error)
}
