package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// UserRepo implements dm.UserStore. E-mail addresses are kept lower-case.
type UserRepo struct{ s *Store }

var _ dm.UserStore = UserRepo{}

// Users returns the user repository.
func (s *Store) Users() UserRepo { return UserRepo{s} }

const userCols = "a.id, a.email, a.name, a.password_hash, a.role, a.customer_id, a.disabled, a.created_at, a.updated_at"

func scanUser(sc scanner) (models.User, error) {
	var u models.User
	var role string
	var cust sql.NullInt64
	var created, updated dbTime
	err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &role, &cust, &u.Disabled, &created, &updated)
	u.Role, u.CustomerID = models.Role(role), cust.Int64
	u.CreatedAt, u.UpdatedAt = created.T, updated.T
	return u, err
}

func validateUser(u *models.User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if u.Email == "" {
		return fmt.Errorf("%w: user e-mail is empty", dm.ErrInvalid)
	}
	return checkTenant(u.Role, u.CustomerID)
}

// Create implements dm.UserStore.
func (r UserRepo) Create(ctx context.Context, u *models.User) error {
	s := r.s
	what := fmt.Sprintf("create user %q", u.Email)
	if err := validateUser(u); err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &u.CreatedAt, &u.UpdatedAt)
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO users (email, name, password_hash, role, customer_id, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.Email, u.Name, u.PasswordHash, string(u.Role), nullID(u.CustomerID), u.Disabled, s.t(u.CreatedAt), s.t(u.UpdatedAt)).Scan(&u.ID)
	return s.wrap(err, what)
}

// Get implements dm.UserStore.
func (r UserRepo) Get(ctx context.Context, id int64) (models.User, error) {
	u, err := scanUser(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+userCols+" FROM users a WHERE a.id = ?"), id))
	return u, r.s.wrap(err, fmt.Sprintf("user %d", id))
}

// GetByEmail implements dm.UserStore.
func (r UserRepo) GetByEmail(ctx context.Context, email string) (models.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+userCols+" FROM users a WHERE a.email = ?"), email))
	return u, r.s.wrap(err, fmt.Sprintf("user %q", email))
}

// Update implements dm.UserStore.
func (r UserRepo) Update(ctx context.Context, u *models.User) error {
	s := r.s
	what := fmt.Sprintf("update user %d", u.ID)
	if err := validateUser(u); err != nil {
		return s.wrap(err, what)
	}
	u.UpdatedAt = s.now()
	err := affected(s.w.ExecContext(ctx, s.q(`UPDATE users SET email = ?, name = ?, password_hash = ?, role = ?, customer_id = ?, disabled = ?, updated_at = ? WHERE id = ?`),
		u.Email, u.Name, u.PasswordHash, string(u.Role), nullID(u.CustomerID), u.Disabled, s.t(u.UpdatedAt), u.ID))
	return s.wrap(err, what)
}

// Delete implements dm.UserStore; the user's tokens go with it.
func (r UserRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM users WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete user %d", id))
}

// List implements dm.UserStore; customerID 0 lists every user.
func (r UserRepo) List(ctx context.Context, customerID int64, p dm.PageRequest) (dm.Page[models.User], error) {
	lq := listQuery{cols: userCols, from: "users a"}
	if customerID != 0 {
		lq.w.add("a.customer_id = ?", customerID)
	}
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.User, int64, error) {
		u, err := scanUser(rows)
		return u, u.ID, err
	})
	return out, r.s.wrap(err, "list users")
}
