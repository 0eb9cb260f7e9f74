package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// BootstrapConfigRepo implements dm.BootstrapConfigStore; the spec is one
// JSON document, the scope its own columns.
type BootstrapConfigRepo struct{ s *Store }

var _ dm.BootstrapConfigStore = BootstrapConfigRepo{}

// BootstrapConfigs returns the bootstrap configuration repository.
func (s *Store) BootstrapConfigs() BootstrapConfigRepo { return BootstrapConfigRepo{s} }

const bsConfigCols = "a.id, a.name, a.device_id, a.profile_id, a.account_id, a.is_default, a.spec, a.created_at, a.updated_at"

func scanBootstrapConfig(sc scanner) (models.BootstrapConfig, error) {
	var c models.BootstrapConfig
	var dev, prof, acct sql.NullInt64
	var spec string
	var created, updated dbTime
	if err := sc.Scan(&c.ID, &c.Name, &dev, &prof, &acct, &c.Default, &spec, &created, &updated); err != nil {
		return c, err
	}
	c.DeviceID, c.ProfileID, c.AccountID = dev.Int64, prof.Int64, acct.Int64
	c.CreatedAt, c.UpdatedAt = created.T, updated.T
	if err := json.Unmarshal([]byte(spec), &c.Spec); err != nil {
		return c, fmt.Errorf("bootstrap config %d: stored spec: %w", c.ID, err)
	}
	return c, nil
}

func bsConfigArgs(c *models.BootstrapConfig) (string, error) {
	if c.Name == "" {
		return "", fmt.Errorf("%w: bootstrap config name is empty", dm.ErrInvalid)
	}
	n := 0
	for _, set := range []bool{c.DeviceID != 0, c.ProfileID != 0, c.AccountID != 0, c.Default} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", fmt.Errorf("%w: a bootstrap config applies to exactly one of a device, a profile, an account or the default (%d given)", dm.ErrInvalid, n)
	}
	b, err := json.Marshal(c.Spec)
	if err != nil {
		return "", fmt.Errorf("%w: bootstrap config spec: %v", dm.ErrInvalid, err)
	}
	return string(b), nil
}

// Create implements dm.BootstrapConfigStore.
func (r BootstrapConfigRepo) Create(ctx context.Context, c *models.BootstrapConfig) error {
	s := r.s
	what := fmt.Sprintf("create bootstrap config %q", c.Name)
	spec, err := bsConfigArgs(c)
	if err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &c.CreatedAt, &c.UpdatedAt)
	err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO bootstrap_configs (name, device_id, profile_id, account_id, is_default, spec, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), c.Name, nullID(c.DeviceID), nullID(c.ProfileID), nullID(c.AccountID),
		c.Default, spec, s.t(c.CreatedAt), s.t(c.UpdatedAt)).Scan(&c.ID)
	return s.wrap(err, what)
}

// Get implements dm.BootstrapConfigStore.
func (r BootstrapConfigRepo) Get(ctx context.Context, id int64) (models.BootstrapConfig, error) {
	c, err := scanBootstrapConfig(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+bsConfigCols+" FROM bootstrap_configs a WHERE a.id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("bootstrap config %d", id))
}

// GetByName implements dm.BootstrapConfigStore.
func (r BootstrapConfigRepo) GetByName(ctx context.Context, name string) (models.BootstrapConfig, error) {
	c, err := scanBootstrapConfig(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+bsConfigCols+" FROM bootstrap_configs a WHERE a.name = ?"), name))
	return c, r.s.wrap(err, fmt.Sprintf("bootstrap config %q", name))
}

// Update implements dm.BootstrapConfigStore.
func (r BootstrapConfigRepo) Update(ctx context.Context, c *models.BootstrapConfig) error {
	s := r.s
	what := fmt.Sprintf("update bootstrap config %d", c.ID)
	spec, err := bsConfigArgs(c)
	if err != nil {
		return s.wrap(err, what)
	}
	c.UpdatedAt = s.now()
	err = affected(s.w.ExecContext(ctx, s.q(`UPDATE bootstrap_configs SET name = ?, device_id = ?, profile_id = ?, account_id = ?,
		is_default = ?, spec = ?, updated_at = ? WHERE id = ?`), c.Name, nullID(c.DeviceID), nullID(c.ProfileID), nullID(c.AccountID),
		c.Default, spec, s.t(c.UpdatedAt), c.ID))
	return s.wrap(err, what)
}

// Delete implements dm.BootstrapConfigStore.
func (r BootstrapConfigRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM bootstrap_configs WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete bootstrap config %d", id))
}

// List implements dm.BootstrapConfigStore.
func (r BootstrapConfigRepo) List(ctx context.Context, p dm.PageRequest) (dm.Page[models.BootstrapConfig], error) {
	out, err := page(ctx, r.s, r.s.r, listQuery{cols: bsConfigCols, from: "bootstrap_configs a"}, p, func(rows *sql.Rows) (models.BootstrapConfig, int64, error) {
		c, err := scanBootstrapConfig(rows)
		return c, c.ID, err
	})
	return out, r.s.wrap(err, "list bootstrap configs")
}

// For implements dm.BootstrapConfigStore: one query ranks the candidate
// scopes and keeps the most specific.
func (r BootstrapConfigRepo) For(ctx context.Context, deviceID, profileID, accountID int64) (models.BootstrapConfig, error) {
	s := r.s
	c, err := scanBootstrapConfig(s.r.QueryRowxContext(ctx, s.q("SELECT "+bsConfigCols+` FROM bootstrap_configs a
		WHERE (a.device_id IS NOT NULL AND a.device_id = ?) OR (a.profile_id IS NOT NULL AND a.profile_id = ?)
		   OR (a.account_id IS NOT NULL AND a.account_id = ?) OR a.is_default
		ORDER BY CASE WHEN a.device_id IS NOT NULL THEN 0 WHEN a.profile_id IS NOT NULL THEN 1
		              WHEN a.account_id IS NOT NULL THEN 2 ELSE 3 END LIMIT 1`), deviceID, profileID, accountID))
	return c, s.wrap(err, fmt.Sprintf("bootstrap config for device %d", deviceID))
}
