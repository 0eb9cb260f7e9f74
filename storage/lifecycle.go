package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// LifecycleRepo implements dm.CredentialLifecycleStore. The secret key of
// an issued certificate is sealed, bound to its credential.
type LifecycleRepo struct{ s *Store }

var _ dm.CredentialLifecycleStore = LifecycleRepo{}

// CredentialLifecycle returns the credential lifecycle repository.
func (s *Store) CredentialLifecycle() LifecycleRepo { return LifecycleRepo{s} }

const lifecycleCols = "l.credential_id, l.device_id, l.reason, l.issued_by, l.secret, l.issued_at, l.delivered_at, l.confirmed_at, l.expiry_warned_at, l.command_id"

func secretAAD(credentialID int64) string {
	return fmt.Sprintf("shoal/credential/secret/%d", credentialID)
}

func (r LifecycleRepo) scanInto(l *models.CredentialLifecycle, secret []byte) error {
	if len(secret) > 0 {
		plain, err := r.s.box.open(secret, secretAAD(l.CredentialID))
		if err != nil {
			return fmt.Errorf("secret key of credential %d: %w", l.CredentialID, err)
		}
		l.SecretKey = plain
	}
	return nil
}

func lifecycleDest(l *models.CredentialLifecycle, secret *[]byte, t *[4]dbTime, cmd *sql.NullInt64) []any {
	return []any{&l.CredentialID, &l.DeviceID, &l.Reason, &l.IssuedBy, secret, &t[0], &t[1], &t[2], &t[3], cmd}
}

func (r LifecycleRepo) scan(sc scanner) (models.CredentialLifecycle, error) {
	var l models.CredentialLifecycle
	var secret []byte
	var t [4]dbTime
	var cmd sql.NullInt64
	if err := sc.Scan(lifecycleDest(&l, &secret, &t, &cmd)...); err != nil {
		return l, err
	}
	l.IssuedAt, l.DeliveredAt, l.ConfirmedAt, l.ExpiryWarnedAt, l.CommandID = t[0].T, t[1].T, t[2].T, t[3].T, cmd.Int64
	return l, r.scanInto(&l, secret)
}

// Put implements dm.CredentialLifecycleStore.
func (r LifecycleRepo) Put(ctx context.Context, l *models.CredentialLifecycle) error {
	s := r.s
	what := fmt.Sprintf("put lifecycle of credential %d", l.CredentialID)
	if l.CredentialID == 0 || l.DeviceID == 0 || l.Reason == "" {
		return s.wrap(fmt.Errorf("%w: a lifecycle record needs its credential, device and reason", dm.ErrInvalid), what)
	}
	if l.IssuedAt.IsZero() {
		l.IssuedAt = s.now()
	}
	var secret []byte
	if len(l.SecretKey) > 0 {
		var err error
		if secret, err = s.box.seal(l.SecretKey, secretAAD(l.CredentialID)); err != nil {
			return s.wrap(err, what)
		}
	}
	args := []any{l.CredentialID, l.DeviceID, l.Reason, l.IssuedBy, secret, s.t(l.IssuedAt), s.t(l.DeliveredAt), s.t(l.ConfirmedAt),
		s.t(l.ExpiryWarnedAt), nullID(l.CommandID)}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO credential_lifecycle (credential_id, device_id, reason, issued_by, secret, issued_at,
		delivered_at, confirmed_at, expiry_warned_at, command_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (credential_id) DO UPDATE SET device_id = excluded.device_id, reason = excluded.reason, issued_by = excluded.issued_by,
		secret = excluded.secret, issued_at = excluded.issued_at, delivered_at = excluded.delivered_at, confirmed_at = excluded.confirmed_at,
		expiry_warned_at = excluded.expiry_warned_at, command_id = excluded.command_id`), args...)
	return s.wrap(err, what)
}

// Get implements dm.CredentialLifecycleStore.
func (r LifecycleRepo) Get(ctx context.Context, credentialID int64) (models.CredentialLifecycle, error) {
	l, err := r.scan(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+lifecycleCols+" FROM credential_lifecycle l WHERE l.credential_id = ?"), credentialID))
	return l, r.s.wrap(err, fmt.Sprintf("lifecycle of credential %d", credentialID))
}

// ByDevice implements dm.CredentialLifecycleStore.
func (r LifecycleRepo) ByDevice(ctx context.Context, deviceID int64) ([]models.CredentialLifecycle, error) {
	s := r.s
	what := fmt.Sprintf("credential lifecycle of device %d", deviceID)
	rows, err := s.r.QueryContext(ctx, s.q("SELECT "+lifecycleCols+" FROM credential_lifecycle l WHERE l.device_id = ? ORDER BY l.credential_id"), deviceID)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	defer rows.Close()
	var out []models.CredentialLifecycle
	for rows.Next() {
		l, err := r.scan(rows)
		if err != nil {
			return nil, s.wrap(err, what)
		}
		out = append(out, l)
	}
	return out, s.wrap(rows.Err(), what)
}

// Expiring implements dm.CredentialLifecycleStore.
func (r LifecycleRepo) Expiring(ctx context.Context, before time.Time, limit int) ([]dm.ExpiringCredential, error) {
	s := r.s
	what := "expiring credentials"
	if limit <= 0 {
		limit = dm.DefaultPageLimit
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT c.id, `+lifecycleCols+` FROM credentials c
		LEFT JOIN credential_lifecycle l ON l.credential_id = c.id
		WHERE c.state <> 'revoked' AND c.not_after IS NOT NULL AND c.not_after < ?
		ORDER BY c.not_after, c.id LIMIT ?`), s.t(before), limit)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	var ids []int64
	var lcs []models.CredentialLifecycle
	for rows.Next() {
		var id int64
		var credID, devID, cmd sql.NullInt64
		var reason, by sql.NullString
		var secret []byte
		var t [4]dbTime
		if err := rows.Scan(&id, &credID, &devID, &reason, &by, &secret, &t[0], &t[1], &t[2], &t[3], &cmd); err != nil {
			rows.Close()
			return nil, s.wrap(err, what)
		}
		l := models.CredentialLifecycle{CredentialID: credID.Int64, DeviceID: devID.Int64, Reason: reason.String, IssuedBy: by.String,
			IssuedAt: t[0].T, DeliveredAt: t[1].T, ConfirmedAt: t[2].T, ExpiryWarnedAt: t[3].T, CommandID: cmd.Int64}
		if err := r.scanInto(&l, secret); err != nil {
			rows.Close()
			return nil, s.wrap(err, what)
		}
		ids, lcs = append(ids, id), append(lcs, l)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, s.wrap(err, what)
	}
	rows.Close()
	out := make([]dm.ExpiringCredential, 0, len(ids))
	creds := s.Credentials()
	for i, id := range ids {
		c, err := creds.Get(ctx, id)
		if err != nil {
			return nil, s.wrap(err, what)
		}
		out = append(out, dm.ExpiringCredential{Credential: c, Lifecycle: lcs[i]})
	}
	return out, nil
}
