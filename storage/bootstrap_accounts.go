package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// BootstrapAccountRepo implements dm.BootstrapAccountStore.
type BootstrapAccountRepo struct{ s *Store }

var _ dm.BootstrapAccountStore = BootstrapAccountRepo{}

// BootstrapAccounts returns the bootstrap account repository.
func (s *Store) BootstrapAccounts() BootstrapAccountRepo { return BootstrapAccountRepo{s} }

const bsAccountCols = "a.id, a.name, a.profile_id, a.customer_id, a.auto_provision, a.created_at, a.updated_at"

func scanBootstrapAccount(sc scanner) (models.BootstrapAccount, error) {
	var a models.BootstrapAccount
	var prof, cust sql.NullInt64
	var created, updated dbTime
	if err := sc.Scan(&a.ID, &a.Name, &prof, &cust, &a.AutoProvision, &created, &updated); err != nil {
		return a, err
	}
	a.ProfileID, a.CustomerID, a.CreatedAt, a.UpdatedAt = prof.Int64, cust.Int64, created.T, updated.T
	return a, nil
}

// Create implements dm.BootstrapAccountStore.
func (r BootstrapAccountRepo) Create(ctx context.Context, a *models.BootstrapAccount) error {
	s := r.s
	what := fmt.Sprintf("create bootstrap account %q", a.Name)
	if a.Name == "" {
		return s.wrap(fmt.Errorf("%w: bootstrap account name is empty", dm.ErrInvalid), what)
	}
	stamp(s, &a.CreatedAt, &a.UpdatedAt)
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO bootstrap_accounts (name, profile_id, customer_id, auto_provision, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), a.Name, nullID(a.ProfileID), nullID(a.CustomerID), a.AutoProvision,
		s.t(a.CreatedAt), s.t(a.UpdatedAt)).Scan(&a.ID)
	return s.wrap(err, what)
}

// Get implements dm.BootstrapAccountStore.
func (r BootstrapAccountRepo) Get(ctx context.Context, id int64) (models.BootstrapAccount, error) {
	a, err := scanBootstrapAccount(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+bsAccountCols+" FROM bootstrap_accounts a WHERE a.id = ?"), id))
	return a, r.s.wrap(err, fmt.Sprintf("bootstrap account %d", id))
}

// GetByName implements dm.BootstrapAccountStore.
func (r BootstrapAccountRepo) GetByName(ctx context.Context, name string) (models.BootstrapAccount, error) {
	a, err := scanBootstrapAccount(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+bsAccountCols+" FROM bootstrap_accounts a WHERE a.name = ?"), name))
	return a, r.s.wrap(err, fmt.Sprintf("bootstrap account %q", name))
}

// Update implements dm.BootstrapAccountStore.
func (r BootstrapAccountRepo) Update(ctx context.Context, a *models.BootstrapAccount) error {
	s := r.s
	what := fmt.Sprintf("update bootstrap account %d", a.ID)
	if a.Name == "" {
		return s.wrap(fmt.Errorf("%w: bootstrap account name is empty", dm.ErrInvalid), what)
	}
	a.UpdatedAt = s.now()
	err := affected(s.w.ExecContext(ctx, s.q(`UPDATE bootstrap_accounts SET name = ?, profile_id = ?, customer_id = ?, auto_provision = ?,
		updated_at = ? WHERE id = ?`), a.Name, nullID(a.ProfileID), nullID(a.CustomerID), a.AutoProvision, s.t(a.UpdatedAt), a.ID))
	return s.wrap(err, what)
}

// Delete implements dm.BootstrapAccountStore.
func (r BootstrapAccountRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM bootstrap_accounts WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete bootstrap account %d", id))
}

// List implements dm.BootstrapAccountStore.
func (r BootstrapAccountRepo) List(ctx context.Context, p dm.PageRequest) (dm.Page[models.BootstrapAccount], error) {
	out, err := page(ctx, r.s, r.s.r, listQuery{cols: bsAccountCols, from: "bootstrap_accounts a"}, p, func(rows *sql.Rows) (models.BootstrapAccount, int64, error) {
		a, err := scanBootstrapAccount(rows)
		return a, a.ID, err
	})
	return out, r.s.wrap(err, "list bootstrap accounts")
}
