package api

import (
	"context"
	"net/http"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// auditNote carries a failed call's problem detail from writeProblem to
// the audit entry.
type auditNote struct{ detail string }

type auditKey struct{}

// audited records every state-changing call of a route (anything but GET
// and HEAD) in the audit log once the handler has answered: who (the
// token), what (the route's operationId, method and path), when and the
// outcome (status, and the problem's detail on failure).
func (s *Server) audited(operation string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		note := &auditNote{}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), auditKey{}, note)))
		p := who(r)
		s.svc.RecordAudit(r.Context(), models.AuditEntry{TokenID: p.TokenID, Actor: p.Actor(), Role: p.Role,
			CustomerID: p.CustomerID, Operation: operation, Method: r.Method, Path: r.URL.Path, Status: sw.status,
			Success: sw.status < http.StatusBadRequest, Detail: note.detail})
	})
}

// noteProblem tells the audit entry of r why the call failed.
func noteProblem(r *http.Request, detail string) {
	if n, ok := r.Context().Value(auditKey{}).(*auditNote); ok {
		n.detail = detail
	}
}

// auditDTO is one audit log entry.
type auditDTO struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	TokenID    int64     `json:"token_id,omitempty"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role,omitempty"`
	CustomerID int64     `json:"customer_id,omitempty"`
	Operation  string    `json:"operation"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail,omitempty"`
}

func toAuditDTO(e models.AuditEntry) auditDTO {
	out := auditDTO{ID: e.ID, Time: e.Time.UTC(), TokenID: e.TokenID, Actor: e.Actor,
		Role: string(e.Role), CustomerID: e.CustomerID, Operation: e.Operation, Method: e.Method, Path: e.Path,
		Status: e.Status, Outcome: "success", Detail: e.Detail}
	if !e.Success {
		out.Outcome = "failure"
	}
	return out
}

// listAudit is GET /audit: ?token=, ?customer=, ?outcome=success|failure,
// ?from= and ?to=.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	var f dm.AuditFilter
	if f.TokenID, err = queryID(q, "token"); err != nil {
		return err
	}
	if f.CustomerID, err = queryID(q, "customer"); err != nil {
		return err
	}
	switch o := q.Get("outcome"); o {
	case "":
	case "success", "failure":
		ok := o == "success"
		f.Success = &ok
	default:
		return badField("outcome", "%q is not success or failure", o)
	}
	if f.From, f.To, err = timeRange(q); err != nil {
		return err
	}
	page, err := s.svc.AuditLog(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toAuditDTO))
}
