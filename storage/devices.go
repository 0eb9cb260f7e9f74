package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// DeviceRepo implements dm.DeviceStore.
type DeviceRepo struct{ s *Store }

var _ dm.DeviceStore = DeviceRepo{}

// Devices returns the device repository.
func (s *Store) Devices() DeviceRepo { return DeviceRepo{s} }

const deviceCols = "a.id, a.endpoint, a.name, a.customer_id, a.profile_id, a.status, a.last_seen, a.created_at, a.updated_at"

type scanner interface{ Scan(dest ...any) error }

func scanDevice(sc scanner) (models.Device, error) {
	var d models.Device
	var cust, prof sql.NullInt64
	var last, created, updated dbTime
	var status string
	err := sc.Scan(&d.ID, &d.Endpoint, &d.Name, &cust, &prof, &status, &last, &created, &updated)
	d.CustomerID, d.ProfileID = cust.Int64, prof.Int64
	d.Status = models.DeviceStatus(status)
	d.LastSeen, d.CreatedAt, d.UpdatedAt = last.T, created.T, updated.T
	return d, err
}

func validStatus(s models.DeviceStatus) bool {
	switch s {
	case models.StatusOnline, models.StatusAsleep, models.StatusOffline, models.StatusNever:
		return true
	}
	return false
}

func validateDevice(d *models.Device) error {
	if d.Endpoint == "" {
		return fmt.Errorf("%w: endpoint is empty", dm.ErrInvalid)
	}
	if d.Status != "" && !validStatus(d.Status) {
		return fmt.Errorf("%w: status %q", dm.ErrInvalid, d.Status)
	}
	return validateLabels(d.Labels)
}

// Create implements dm.DeviceStore.
func (r DeviceRepo) Create(ctx context.Context, d *models.Device) error {
	s := r.s
	what := fmt.Sprintf("create device %q", d.Endpoint)
	if err := validateDevice(d); err != nil {
		return s.wrap(err, what)
	}
	now := s.now()
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	if d.Status == "" {
		d.Status = models.StatusNever
	}
	err := s.inTx(ctx, func(tx *sqlTx) error {
		err := tx.QueryRowxContext(ctx, s.q(`INSERT INTO devices (endpoint, name, customer_id, profile_id, status, last_seen, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			d.Endpoint, d.Name, nullID(d.CustomerID), nullID(d.ProfileID), string(d.Status), s.t(d.LastSeen), s.t(d.CreatedAt), s.t(d.UpdatedAt)).Scan(&d.ID)
		if err != nil {
			return err
		}
		return s.putLabels(ctx, tx, deviceLabels, d.ID, d.Labels, false)
	})
	return s.wrap(err, what)
}

// getOne looks one device up through statements prepared once (the
// registration and ingest paths call it for every device they meet).
func (r DeviceRepo) getOne(ctx context.Context, what, cond string, arg any) (models.Device, error) {
	s := r.s
	st, err := s.preparedRead(ctx, s.q("SELECT "+deviceCols+" FROM devices a WHERE "+cond))
	if err != nil {
		return models.Device{}, s.wrap(err, what)
	}
	d, err := scanDevice(st.QueryRowContext(ctx, arg))
	if err != nil {
		return d, s.wrap(err, what)
	}
	d.Labels, err = r.labelsOf(ctx, d.ID)
	return d, s.wrap(err, what)
}

// labelsOf returns one device's labels (nil when it has none).
func (r DeviceRepo) labelsOf(ctx context.Context, id int64) (map[string]string, error) {
	s := r.s
	st, err := s.preparedRead(ctx, s.q("SELECT key, value FROM "+deviceLabels.table+" WHERE "+deviceLabels.owner+" = ?"))
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[string]string
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out, rows.Err()
}

// Get implements dm.DeviceStore.
func (r DeviceRepo) Get(ctx context.Context, id int64) (models.Device, error) {
	return r.getOne(ctx, fmt.Sprintf("device %d", id), "a.id = ?", id)
}

// GetByEndpoint implements dm.DeviceStore.
func (r DeviceRepo) GetByEndpoint(ctx context.Context, endpoint string) (models.Device, error) {
	return r.getOne(ctx, fmt.Sprintf("device %q", endpoint), "a.endpoint = ?", endpoint)
}

// Update implements dm.DeviceStore.
func (r DeviceRepo) Update(ctx context.Context, d *models.Device) error {
	s := r.s
	what := fmt.Sprintf("update device %d", d.ID)
	if err := validateDevice(d); err != nil {
		return s.wrap(err, what)
	}
	d.UpdatedAt = s.now()
	err := s.inTx(ctx, func(tx *sqlTx) error {
		err := affected(tx.ExecContext(ctx, s.q(`UPDATE devices SET endpoint = ?, name = ?, customer_id = ?, profile_id = ?, updated_at = ? WHERE id = ?`),
			d.Endpoint, d.Name, nullID(d.CustomerID), nullID(d.ProfileID), s.t(d.UpdatedAt), d.ID))
		if err != nil {
			return err
		}
		return s.putLabels(ctx, tx, deviceLabels, d.ID, d.Labels, true)
	})
	return s.wrap(err, what)
}

// Delete implements dm.DeviceStore.
func (r DeviceRepo) Delete(ctx context.Context, id int64) error {
	s := r.s
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM relations WHERE (from_kind = 'device' AND from_id = ?) OR (to_kind = 'device' AND to_id = ?)`), id, id); err != nil {
			return err
		}
		return affected(tx.ExecContext(ctx, s.q("DELETE FROM devices WHERE id = ?"), id))
	})
	return s.wrapDelete(err, fmt.Sprintf("delete device %d", id))
}

// List implements dm.DeviceStore.
func (r DeviceRepo) List(ctx context.Context, f dm.DeviceFilter, p dm.PageRequest) (dm.Page[models.Device], error) {
	s := r.s
	lq := listQuery{cols: deviceCols, from: "devices a"}
	w := &lq.w
	in(w, "a.id", f.IDs)
	in(w, "a.endpoint", f.Endpoints)
	in(w, "a.status", f.Statuses)
	if f.ProfileID != 0 {
		w.add("a.profile_id = ?", f.ProfileID)
	}
	if f.CustomerID != 0 {
		w.add("a.customer_id = ?", f.CustomerID)
	}
	labelFilter(w, deviceLabels, "a.id", f.Labels)
	if f.AssetID != 0 {
		w.add("a.id IN ("+containedDevices+")", f.AssetID, models.RelationContains, models.RelationContains)
	}
	if f.Search != "" {
		pat := likePattern(f.Search)
		w.add(`(LOWER(a.endpoint) LIKE ? ESCAPE '\' OR LOWER(a.name) LIKE ? ESCAPE '\')`, pat, pat)
	}
	out, err := page(ctx, s, s.r, lq, p, func(rows *sql.Rows) (models.Device, int64, error) {
		d, err := scanDevice(rows)
		return d, d.ID, err
	})
	if err != nil {
		return out, s.wrap(err, "list devices")
	}
	ids := make([]int64, len(out.Items))
	for i, d := range out.Items {
		ids[i] = d.ID
	}
	labels, err := s.loadLabels(ctx, s.r, deviceLabels, ids)
	for i := range out.Items {
		out.Items[i].Labels = labels[out.Items[i].ID]
	}
	return out, s.wrap(err, "list devices")
}

// SetStatus implements dm.DeviceStore.
func (r DeviceRepo) SetStatus(ctx context.Context, id int64, st models.DeviceStatus, lastSeen time.Time) error {
	s := r.s
	what := fmt.Sprintf("set status of device %d", id)
	if !validStatus(st) {
		return s.wrap(fmt.Errorf("%w: status %q", dm.ErrInvalid, st), what)
	}
	err := affected(s.w.ExecContext(ctx, s.q("UPDATE devices SET status = ?, last_seen = COALESCE(?, last_seen) WHERE id = ?"),
		string(st), s.t(lastSeen), id))
	return s.wrap(err, what)
}
