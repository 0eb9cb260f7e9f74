package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// BootstrapSessionRepo implements dm.BootstrapSessionStore.
type BootstrapSessionRepo struct{ s *Store }

var _ dm.BootstrapSessionStore = BootstrapSessionRepo{}

// BootstrapSessions returns the bootstrap session repository.
func (s *Store) BootstrapSessions() BootstrapSessionRepo { return BootstrapSessionRepo{s} }

const bsSessionCols = `a.id, a.device_id, a.endpoint, a.config_id, a.credential_id, a.identity, a.address, a.state, a.step, a.path,
	a.device_code, a.error, a.version, a.format, a.server_instance, a.started_at, a.finished_at`

func scanBootstrapSession(sc scanner) (models.BootstrapSession, error) {
	var x models.BootstrapSession
	var cfg, cred sql.NullInt64
	var state string
	var started, finished dbTime
	if err := sc.Scan(&x.ID, &x.DeviceID, &x.Endpoint, &cfg, &cred, &x.Identity, &x.Address, &state, &x.Step, &x.Path,
		&x.DeviceCode, &x.Error, &x.Version, &x.Format, &x.ServerInstance, &started, &finished); err != nil {
		return x, err
	}
	x.ConfigID, x.CredentialID, x.State = cfg.Int64, cred.Int64, models.BootstrapSessionState(state)
	x.StartedAt, x.FinishedAt = started.T, finished.T
	return x, nil
}

func sessionArgs(s *Store, x *models.BootstrapSession) ([]any, error) {
	switch x.State {
	case models.SessionRunning, models.SessionFinished, models.SessionFailed:
	default:
		return nil, fmt.Errorf("%w: bootstrap session state %q", dm.ErrInvalid, x.State)
	}
	if x.DeviceID == 0 || x.Endpoint == "" {
		return nil, fmt.Errorf("%w: a bootstrap session needs its device and endpoint", dm.ErrInvalid)
	}
	return []any{x.DeviceID, x.Endpoint, nullID(x.ConfigID), nullID(x.CredentialID), x.Identity, x.Address, string(x.State),
		x.Step, x.Path, x.DeviceCode, x.Error, x.Version, x.Format, x.ServerInstance, s.t(x.StartedAt), s.t(x.FinishedAt)}, nil
}

// Create implements dm.BootstrapSessionStore.
func (r BootstrapSessionRepo) Create(ctx context.Context, x *models.BootstrapSession) error {
	s := r.s
	what := fmt.Sprintf("create bootstrap session of %q", x.Endpoint)
	if x.StartedAt.IsZero() {
		x.StartedAt = s.now()
	}
	args, err := sessionArgs(s, x)
	if err != nil {
		return s.wrap(err, what)
	}
	err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO bootstrap_sessions (device_id, endpoint, config_id, credential_id, identity, address,
		state, step, path, device_code, error, version, format, server_instance, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), args...).Scan(&x.ID)
	return s.wrap(err, what)
}

// Update implements dm.BootstrapSessionStore.
func (r BootstrapSessionRepo) Update(ctx context.Context, x *models.BootstrapSession) error {
	s := r.s
	what := fmt.Sprintf("update bootstrap session %d", x.ID)
	args, err := sessionArgs(s, x)
	if err != nil {
		return s.wrap(err, what)
	}
	err = affected(s.w.ExecContext(ctx, s.q(`UPDATE bootstrap_sessions SET device_id = ?, endpoint = ?, config_id = ?, credential_id = ?,
		identity = ?, address = ?, state = ?, step = ?, path = ?, device_code = ?, error = ?, version = ?, format = ?,
		server_instance = ?, started_at = ?, finished_at = ? WHERE id = ?`), append(args, x.ID)...))
	return s.wrap(err, what)
}

// Get implements dm.BootstrapSessionStore.
func (r BootstrapSessionRepo) Get(ctx context.Context, id int64) (models.BootstrapSession, error) {
	x, err := scanBootstrapSession(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+bsSessionCols+" FROM bootstrap_sessions a WHERE a.id = ?"), id))
	return x, r.s.wrap(err, fmt.Sprintf("bootstrap session %d", id))
}

// List implements dm.BootstrapSessionStore, newest first.
func (r BootstrapSessionRepo) List(ctx context.Context, f dm.SessionFilter, p dm.PageRequest) (dm.Page[models.BootstrapSession], error) {
	lq := listQuery{cols: bsSessionCols, from: "bootstrap_sessions a", desc: true}
	if f.DeviceID != 0 {
		lq.w.add("a.device_id = ?", f.DeviceID)
	}
	states := make([]string, len(f.States))
	for i, st := range f.States {
		states[i] = string(st)
	}
	in(&lq.w, "a.state", states)
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.BootstrapSession, int64, error) {
		x, err := scanBootstrapSession(rows)
		return x, x.ID, err
	})
	return out, r.s.wrap(err, "list bootstrap sessions")
}

// Last implements dm.BootstrapSessionStore.
func (r BootstrapSessionRepo) Last(ctx context.Context, deviceID int64, state models.BootstrapSessionState) (models.BootstrapSession, error) {
	s := r.s
	x, err := scanBootstrapSession(s.r.QueryRowxContext(ctx, s.q("SELECT "+bsSessionCols+
		" FROM bootstrap_sessions a WHERE a.device_id = ? AND a.state = ? ORDER BY a.id DESC LIMIT 1"), deviceID, string(state)))
	return x, s.wrap(err, fmt.Sprintf("last %s bootstrap session of device %d", state, deviceID))
}
