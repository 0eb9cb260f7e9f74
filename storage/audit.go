package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// AuditRepo implements dm.AuditStore.
type AuditRepo struct{ s *Store }

var _ dm.AuditStore = AuditRepo{}

// Audit returns the audit log repository.
func (s *Store) Audit() AuditRepo { return AuditRepo{s} }

const auditCols = "a.id, a.ts, a.token_id, a.actor, a.role, a.customer_id, a.operation, a.method, a.path, a.status, a.success, a.detail"

func scanAudit(sc scanner) (models.AuditEntry, error) {
	var e models.AuditEntry
	var ts dbTime
	var tok, cust sql.NullInt64
	var role string
	err := sc.Scan(&e.ID, &ts, &tok, &e.Actor, &role, &cust, &e.Operation, &e.Method, &e.Path, &e.Status, &e.Success, &e.Detail)
	e.Time, e.TokenID, e.CustomerID, e.Role = ts.T, tok.Int64, cust.Int64, models.Role(role)
	return e, err
}

// Append implements dm.AuditStore.
func (r AuditRepo) Append(ctx context.Context, e *models.AuditEntry) error {
	s := r.s
	what := fmt.Sprintf("append audit entry %s %s", e.Method, e.Path)
	if e.Actor == "" || e.Operation == "" || e.Method == "" {
		return s.wrap(fmt.Errorf("%w: an audit entry needs an actor, an operation and a method", dm.ErrInvalid), what)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO audit_log (ts, token_id, actor, role, customer_id, operation, method, path, status, success, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		s.t(e.Time), nullID(e.TokenID), e.Actor, string(e.Role), nullID(e.CustomerID), e.Operation, e.Method, e.Path, e.Status,
		e.Success, e.Detail).Scan(&e.ID)
	return s.wrap(err, what)
}

// List implements dm.AuditStore.
func (r AuditRepo) List(ctx context.Context, f dm.AuditFilter, p dm.PageRequest) (dm.Page[models.AuditEntry], error) {
	s := r.s
	lq := listQuery{cols: auditCols, from: "audit_log a", desc: true}
	w := &lq.w
	if f.TokenID != 0 {
		w.add("a.token_id = ?", f.TokenID)
	}
	if f.CustomerID != 0 {
		w.add("a.customer_id = ?", f.CustomerID)
	}
	if f.Success != nil {
		w.add("a.success = ?", *f.Success)
	}
	if !f.From.IsZero() {
		w.add("a.ts >= ?", s.t(f.From))
	}
	if !f.To.IsZero() {
		w.add("a.ts < ?", s.t(f.To))
	}
	out, err := page(ctx, s, s.r, lq, p, func(rows *sql.Rows) (models.AuditEntry, int64, error) {
		e, err := scanAudit(rows)
		return e, e.ID, err
	})
	return out, s.wrap(err, "list audit log")
}
