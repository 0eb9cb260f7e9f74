package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// FirmwareRepo implements dm.FirmwareStore (image metadata; the bytes live
// where Location says).
type FirmwareRepo struct{ s *Store }

var _ dm.FirmwareStore = FirmwareRepo{}

// Firmware returns the firmware image repository.
func (s *Store) Firmware() FirmwareRepo { return FirmwareRepo{s} }

const firmwareCols = "a.id, a.name, a.version, a.sha256, a.size, a.location, a.models, a.profile_ids, a.notes, a.created_at"

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func scanFirmware(sc scanner) (models.FirmwareImage, error) {
	var f models.FirmwareImage
	var mdl, prof string
	var created dbTime
	if err := sc.Scan(&f.ID, &f.Name, &f.Version, &f.SHA256, &f.Size, &f.Location, &mdl, &prof, &f.Notes, &created); err != nil {
		return f, err
	}
	f.CreatedAt = created.T
	if err := json.Unmarshal([]byte(mdl), &f.Models); err != nil {
		return f, fmt.Errorf("firmware %d: stored models: %w", f.ID, err)
	}
	if err := json.Unmarshal([]byte(prof), &f.ProfileIDs); err != nil {
		return f, fmt.Errorf("firmware %d: stored profile ids: %w", f.ID, err)
	}
	return f, nil
}

// Create implements dm.FirmwareStore.
func (r FirmwareRepo) Create(ctx context.Context, f *models.FirmwareImage) error {
	s := r.s
	what := fmt.Sprintf("create firmware %q %s", f.Name, f.Version)
	switch {
	case f.Version == "":
		return s.wrap(fmt.Errorf("%w: firmware version is empty", dm.ErrInvalid), what)
	case !sha256Hex.MatchString(f.SHA256):
		return s.wrap(fmt.Errorf("%w: sha256 %q is not 64 lower-case hex digits", dm.ErrInvalid, f.SHA256), what)
	case f.Size < 0:
		return s.wrap(fmt.Errorf("%w: size %d", dm.ErrInvalid, f.Size), what)
	}
	mdl, _ := json.Marshal(orEmpty(f.Models))
	prof, _ := json.Marshal(orEmpty(f.ProfileIDs))
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO firmware_images (name, version, sha256, size, location, models, profile_ids, notes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		f.Name, f.Version, f.SHA256, f.Size, f.Location, string(mdl), string(prof), f.Notes, s.t(f.CreatedAt)).Scan(&f.ID)
	return s.wrap(err, what)
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// Get implements dm.FirmwareStore.
func (r FirmwareRepo) Get(ctx context.Context, id int64) (models.FirmwareImage, error) {
	f, err := scanFirmware(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+firmwareCols+" FROM firmware_images a WHERE a.id = ?"), id))
	return f, r.s.wrap(err, fmt.Sprintf("firmware %d", id))
}

// Delete implements dm.FirmwareStore.
func (r FirmwareRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM firmware_images WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete firmware %d", id))
}

// List implements dm.FirmwareStore.
func (r FirmwareRepo) List(ctx context.Context, p dm.PageRequest) (dm.Page[models.FirmwareImage], error) {
	out, err := page(ctx, r.s, r.s.r, listQuery{cols: firmwareCols, from: "firmware_images a"}, p, func(rows *sql.Rows) (models.FirmwareImage, int64, error) {
		f, err := scanFirmware(rows)
		return f, f.ID, err
	})
	return out, r.s.wrap(err, "list firmware")
}
