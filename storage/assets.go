package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// AssetRepo implements dm.AssetStore.
type AssetRepo struct{ s *Store }

var _ dm.AssetStore = AssetRepo{}

// Assets returns the asset repository.
func (s *Store) Assets() AssetRepo { return AssetRepo{s} }

const assetCols = "a.id, a.name, a.type, a.customer_id, a.created_at, a.updated_at"

func scanAsset(sc scanner) (models.Asset, error) {
	var a models.Asset
	var cust sql.NullInt64
	var created, updated dbTime
	err := sc.Scan(&a.ID, &a.Name, &a.Type, &cust, &created, &updated)
	a.CustomerID, a.CreatedAt, a.UpdatedAt = cust.Int64, created.T, updated.T
	return a, err
}

func validateAsset(a *models.Asset) error {
	if a.Name == "" {
		return fmt.Errorf("%w: asset name is empty", dm.ErrInvalid)
	}
	return validateLabels(a.Labels)
}

// Create implements dm.AssetStore.
func (r AssetRepo) Create(ctx context.Context, a *models.Asset) error {
	s := r.s
	what := fmt.Sprintf("create asset %q", a.Name)
	if err := validateAsset(a); err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &a.CreatedAt, &a.UpdatedAt)
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if err := tx.QueryRowxContext(ctx, s.q("INSERT INTO assets (name, type, customer_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			a.Name, a.Type, nullID(a.CustomerID), s.t(a.CreatedAt), s.t(a.UpdatedAt)).Scan(&a.ID); err != nil {
			return err
		}
		return s.putLabels(ctx, tx, assetLabels, a.ID, a.Labels, false)
	})
	return s.wrap(err, what)
}

// Get implements dm.AssetStore.
func (r AssetRepo) Get(ctx context.Context, id int64) (models.Asset, error) {
	s := r.s
	what := fmt.Sprintf("asset %d", id)
	a, err := scanAsset(s.r.QueryRowxContext(ctx, s.q("SELECT "+assetCols+" FROM assets a WHERE a.id = ?"), id))
	if err != nil {
		return a, s.wrap(err, what)
	}
	labels, err := s.loadLabels(ctx, s.r, assetLabels, []int64{id})
	a.Labels = labels[id]
	return a, s.wrap(err, what)
}

// Update implements dm.AssetStore.
func (r AssetRepo) Update(ctx context.Context, a *models.Asset) error {
	s := r.s
	what := fmt.Sprintf("update asset %d", a.ID)
	if err := validateAsset(a); err != nil {
		return s.wrap(err, what)
	}
	a.UpdatedAt = s.now()
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if err := affected(tx.ExecContext(ctx, s.q("UPDATE assets SET name = ?, type = ?, customer_id = ?, updated_at = ? WHERE id = ?"),
			a.Name, a.Type, nullID(a.CustomerID), s.t(a.UpdatedAt), a.ID)); err != nil {
			return err
		}
		return s.putLabels(ctx, tx, assetLabels, a.ID, a.Labels, true)
	})
	return s.wrap(err, what)
}

// Delete implements dm.AssetStore.
func (r AssetRepo) Delete(ctx context.Context, id int64) error {
	s := r.s
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM relations WHERE (from_kind = 'asset' AND from_id = ?) OR (to_kind = 'asset' AND to_id = ?)`), id, id); err != nil {
			return err
		}
		return affected(tx.ExecContext(ctx, s.q("DELETE FROM assets WHERE id = ?"), id))
	})
	return s.wrapDelete(err, fmt.Sprintf("delete asset %d", id))
}

// List implements dm.AssetStore.
func (r AssetRepo) List(ctx context.Context, f dm.AssetFilter, p dm.PageRequest) (dm.Page[models.Asset], error) {
	s := r.s
	lq := listQuery{cols: assetCols, from: "assets a"}
	if f.CustomerID != 0 {
		lq.w.add("a.customer_id = ?", f.CustomerID)
	}
	if f.Type != "" {
		lq.w.add("a.type = ?", f.Type)
	}
	labelFilter(&lq.w, assetLabels, "a.id", f.Labels)
	out, err := page(ctx, s, s.r, lq, p, func(rows *sql.Rows) (models.Asset, int64, error) {
		a, err := scanAsset(rows)
		return a, a.ID, err
	})
	if err != nil {
		return out, s.wrap(err, "list assets")
	}
	ids := make([]int64, len(out.Items))
	for i, a := range out.Items {
		ids[i] = a.ID
	}
	labels, err := s.loadLabels(ctx, s.r, assetLabels, ids)
	for i := range out.Items {
		out.Items[i].Labels = labels[out.Items[i].ID]
	}
	return out, s.wrap(err, "list assets")
}
