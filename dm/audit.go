package dm

import (
	"context"

	"github.com/shoal-iot/shoal/models"
)

// RecordAudit appends an entry to the audit log: the API records every
// state-changing call with it. A store failure is logged, not returned:
// the call it describes has already happened.
func (s *Service) RecordAudit(ctx context.Context, e models.AuditEntry) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.st.Audit.Append(ctx, &e); err != nil {
		s.log.Error().Err(err).Str("actor", e.Actor).Str("operation", e.Operation).Int("status", e.Status).
			Msg("dm: storing an audit entry failed")
	}
}

// AuditLog lists the audit log, newest first (admin only).
func (s *Service) AuditLog(ctx context.Context, who Principal, f AuditFilter, p PageRequest) (Page[models.AuditEntry], error) {
	if err := needAdmin(who, "reading the audit log"); err != nil {
		return Page[models.AuditEntry]{}, err
	}
	return s.st.Audit.List(ctx, f, p)
}
