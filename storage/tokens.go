package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// TokenRepo implements dm.TokenStore. Only the hash of a token's secret is
// stored.
type TokenRepo struct{ s *Store }

var _ dm.TokenStore = TokenRepo{}

// Tokens returns the API token repository.
func (s *Store) Tokens() TokenRepo { return TokenRepo{s} }

const tokenCols = "a.id, a.name, a.hash, a.prefix, a.role, a.customer_id, a.user_id, a.expires_at, a.revoked, a.revoked_at, a.last_used_at, a.created_at"

func scanToken(sc scanner) (models.APIToken, error) {
	var t models.APIToken
	var role string
	var cust, user sql.NullInt64
	var exp, rev, used, created dbTime
	err := sc.Scan(&t.ID, &t.Name, &t.Hash, &t.Prefix, &role, &cust, &user, &exp, &t.Revoked, &rev, &used, &created)
	t.Role, t.CustomerID, t.UserID = models.Role(role), cust.Int64, user.Int64
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt, t.CreatedAt = exp.T, rev.T, used.T, created.T
	return t, err
}

// Create implements dm.TokenStore.
func (r TokenRepo) Create(ctx context.Context, t *models.APIToken) error {
	s := r.s
	what := fmt.Sprintf("create token %q", t.Name)
	if t.Hash == "" {
		return s.wrap(fmt.Errorf("%w: token hash is empty", dm.ErrInvalid), what)
	}
	if err := checkTenant(t.Role, t.CustomerID); err != nil {
		return s.wrap(err, what)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO api_tokens (name, hash, prefix, role, customer_id, user_id, expires_at, revoked, revoked_at, last_used_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		t.Name, t.Hash, t.Prefix, string(t.Role), nullID(t.CustomerID), nullID(t.UserID), s.t(t.ExpiresAt), t.Revoked,
		s.t(t.RevokedAt), s.t(t.LastUsedAt), s.t(t.CreatedAt)).Scan(&t.ID)
	return s.wrap(err, what)
}

// Get implements dm.TokenStore.
func (r TokenRepo) Get(ctx context.Context, id int64) (models.APIToken, error) {
	t, err := scanToken(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+tokenCols+" FROM api_tokens a WHERE a.id = ?"), id))
	return t, r.s.wrap(err, fmt.Sprintf("token %d", id))
}

// ByHash implements dm.TokenStore. Reads see every committed write, so a
// revocation takes effect on the very next request.
func (r TokenRepo) ByHash(ctx context.Context, hash string) (models.APIToken, error) {
	t, err := scanToken(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+tokenCols+" FROM api_tokens a WHERE a.hash = ?"), hash))
	return t, r.s.wrap(err, "token by hash")
}

// List implements dm.TokenStore.
func (r TokenRepo) List(ctx context.Context, f dm.TokenFilter, p dm.PageRequest) (dm.Page[models.APIToken], error) {
	lq := listQuery{cols: tokenCols, from: "api_tokens a"}
	if f.UserID != 0 {
		lq.w.add("a.user_id = ?", f.UserID)
	}
	if f.CustomerID != 0 {
		lq.w.add("a.customer_id = ?", f.CustomerID)
	}
	if !f.IncludeRevoked {
		lq.w.add("a.revoked = ?", false)
	}
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.APIToken, int64, error) {
		t, err := scanToken(rows)
		return t, t.ID, err
	})
	return out, r.s.wrap(err, "list tokens")
}

// Revoke implements dm.TokenStore.
func (r TokenRepo) Revoke(ctx context.Context, id int64, at time.Time) error {
	s := r.s
	if at.IsZero() {
		at = s.now()
	}
	err := s.inTx(ctx, func(tx *sqlTx) error {
		var revoked bool
		if err := tx.GetContext(ctx, &revoked, s.q("SELECT revoked FROM api_tokens WHERE id = ?"+s.d.ForUpdate()), id); err != nil {
			return err
		}
		if revoked {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q("UPDATE api_tokens SET revoked = ?, revoked_at = ? WHERE id = ?"), true, s.t(at), id)
		return err
	})
	return s.wrap(err, fmt.Sprintf("revoke token %d", id))
}

// Touch implements dm.TokenStore.
func (r TokenRepo) Touch(ctx context.Context, id int64, at time.Time) error {
	s := r.s
	if at.IsZero() {
		at = s.now()
	}
	err := affected(s.w.ExecContext(ctx, s.q("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), s.t(at), id))
	return s.wrap(err, fmt.Sprintf("touch token %d", id))
}
