package storage

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// ObservationRepo implements dm.ObservationStore. Tokens are stored as hex,
// paths and attributes as JSON.
type ObservationRepo struct{ s *Store }

var _ dm.ObservationStore = ObservationRepo{}

// Observations returns the observation repository.
func (s *Store) Observations() ObservationRepo { return ObservationRepo{s} }

const observationCols = "endpoint, token, paths, composite, format, attributes, created_at"

func scanObservation(sc scanner) (models.Observation, error) {
	var o models.Observation
	var token, paths, attrs string
	var format int64
	var created dbTime
	if err := sc.Scan(&o.Endpoint, &token, &paths, &o.Composite, &format, &attrs, &created); err != nil {
		return o, err
	}
	o.Format, o.CreatedAt = lwm2m.ContentFormat(format), created.T
	var err error
	if o.Token, err = hex.DecodeString(token); err != nil {
		return o, fmt.Errorf("observation of %q: stored token %q: %w", o.Endpoint, token, err)
	}
	if err := json.Unmarshal([]byte(paths), &o.Paths); err != nil {
		return o, fmt.Errorf("observation of %q: stored paths: %w", o.Endpoint, err)
	}
	if err := json.Unmarshal([]byte(attrs), &o.Attributes); err != nil {
		return o, fmt.Errorf("observation of %q: stored attributes: %w", o.Endpoint, err)
	}
	return o, nil
}

// Put implements dm.ObservationStore.
func (r ObservationRepo) Put(ctx context.Context, o models.Observation) error {
	s := r.s
	what := fmt.Sprintf("put observation %x of %q", o.Token, o.Endpoint)
	if o.Endpoint == "" || len(o.Token) == 0 {
		return s.wrap(fmt.Errorf("%w: an observation needs an endpoint and a token", dm.ErrInvalid), what)
	}
	paths, err := json.Marshal(o.Paths)
	if err != nil {
		return s.wrap(err, what)
	}
	attrs, err := json.Marshal(o.Attributes)
	if err != nil {
		return s.wrap(err, what)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.now()
	}
	_, err = s.w.ExecContext(ctx, s.q(`INSERT INTO observations (`+observationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (endpoint, token) DO UPDATE SET paths = excluded.paths, composite = excluded.composite,
		format = excluded.format, attributes = excluded.attributes, created_at = excluded.created_at`),
		o.Endpoint, hex.EncodeToString(o.Token), string(paths), o.Composite, int64(o.Format), string(attrs), s.t(o.CreatedAt))
	return s.wrap(err, what)
}

// Delete implements dm.ObservationStore.
func (r ObservationRepo) Delete(ctx context.Context, endpoint string, token []byte) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM observations WHERE endpoint = ? AND token = ?"), endpoint, hex.EncodeToString(token)))
	return r.s.wrapDelete(err, fmt.Sprintf("delete observation %x of %q", token, endpoint))
}

// DeleteEndpoint implements dm.ObservationStore.
func (r ObservationRepo) DeleteEndpoint(ctx context.Context, endpoint string) (int64, error) {
	res, err := r.s.w.ExecContext(ctx, r.s.q("DELETE FROM observations WHERE endpoint = ?"), endpoint)
	if err != nil {
		return 0, r.s.wrapDelete(err, fmt.Sprintf("delete observations of %q", endpoint))
	}
	n, err := res.RowsAffected()
	return n, r.s.wrap(err, fmt.Sprintf("delete observations of %q", endpoint))
}

// ByEndpoint implements dm.ObservationStore, oldest first.
func (r ObservationRepo) ByEndpoint(ctx context.Context, endpoint string) ([]models.Observation, error) {
	what := fmt.Sprintf("observations of %q", endpoint)
	rows, err := r.s.r.QueryContext(ctx, r.s.q("SELECT "+observationCols+" FROM observations WHERE endpoint = ? ORDER BY created_at, token"), endpoint)
	if err != nil {
		return nil, r.s.wrap(err, what)
	}
	return collect(rows, scanObservation, r.s, what)
}

// All implements dm.ObservationStore.
func (r ObservationRepo) All(ctx context.Context) ([]models.Observation, error) {
	rows, err := r.s.r.QueryContext(ctx, "SELECT "+observationCols+" FROM observations ORDER BY endpoint, created_at, token")
	if err != nil {
		return nil, r.s.wrap(err, "all observations")
	}
	return collect(rows, scanObservation, r.s, "all observations")
}
