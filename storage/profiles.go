package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// ProfileRepo implements dm.ProfileStore. The spec is stored as JSON.
type ProfileRepo struct{ s *Store }

var _ dm.ProfileStore = ProfileRepo{}

// Profiles returns the profile repository.
func (s *Store) Profiles() ProfileRepo { return ProfileRepo{s} }

const profileCols = "a.id, a.name, a.description, a.spec, a.created_at, a.updated_at"

func scanProfile(sc scanner) (models.Profile, error) {
	var p models.Profile
	var spec string
	var created, updated dbTime
	if err := sc.Scan(&p.ID, &p.Name, &p.Description, &spec, &created, &updated); err != nil {
		return p, err
	}
	p.CreatedAt, p.UpdatedAt = created.T, updated.T
	if err := json.Unmarshal([]byte(spec), &p.Spec); err != nil {
		return p, fmt.Errorf("profile %d: stored spec: %w", p.ID, err)
	}
	return p, nil
}

func profileSpecJSON(p *models.Profile) (string, error) {
	if p.Name == "" {
		return "", fmt.Errorf("%w: profile name is empty", dm.ErrInvalid)
	}
	b, err := json.Marshal(p.Spec)
	if err != nil {
		return "", fmt.Errorf("%w: profile spec: %v", dm.ErrInvalid, err)
	}
	return string(b), nil
}

// Create implements dm.ProfileStore.
func (r ProfileRepo) Create(ctx context.Context, p *models.Profile) error {
	s := r.s
	what := fmt.Sprintf("create profile %q", p.Name)
	spec, err := profileSpecJSON(p)
	if err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &p.CreatedAt, &p.UpdatedAt)
	err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO profiles (name, description, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		p.Name, p.Description, spec, s.t(p.CreatedAt), s.t(p.UpdatedAt)).Scan(&p.ID)
	return s.wrap(err, what)
}

// Get implements dm.ProfileStore.
func (r ProfileRepo) Get(ctx context.Context, id int64) (models.Profile, error) {
	p, err := scanProfile(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+profileCols+" FROM profiles a WHERE a.id = ?"), id))
	return p, r.s.wrap(err, fmt.Sprintf("profile %d", id))
}

// GetByName implements dm.ProfileStore.
func (r ProfileRepo) GetByName(ctx context.Context, name string) (models.Profile, error) {
	p, err := scanProfile(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+profileCols+" FROM profiles a WHERE a.name = ?"), name))
	return p, r.s.wrap(err, fmt.Sprintf("profile %q", name))
}

// Update implements dm.ProfileStore.
func (r ProfileRepo) Update(ctx context.Context, p *models.Profile) error {
	s := r.s
	what := fmt.Sprintf("update profile %d", p.ID)
	spec, err := profileSpecJSON(p)
	if err != nil {
		return s.wrap(err, what)
	}
	p.UpdatedAt = s.now()
	err = affected(s.w.ExecContext(ctx, s.q("UPDATE profiles SET name = ?, description = ?, spec = ?, updated_at = ? WHERE id = ?"),
		p.Name, p.Description, spec, s.t(p.UpdatedAt), p.ID))
	return s.wrap(err, what)
}

// Delete implements dm.ProfileStore.
func (r ProfileRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM profiles WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete profile %d", id))
}

// List implements dm.ProfileStore.
func (r ProfileRepo) List(ctx context.Context, p dm.PageRequest) (dm.Page[models.Profile], error) {
	out, err := page(ctx, r.s, r.s.r, listQuery{cols: profileCols, from: "profiles a"}, p, func(rows *sql.Rows) (models.Profile, int64, error) {
		pr, err := scanProfile(rows)
		return pr, pr.ID, err
	})
	return out, r.s.wrap(err, "list profiles")
}

// stamp fills zero created/updated times with now.
func stamp(s *Store, created, updated *time.Time) {
	if created.IsZero() {
		*created = s.now()
	}
	if updated.IsZero() {
		*updated = *created
	}
}
