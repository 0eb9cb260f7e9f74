package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// CredentialRepo implements dm.CredentialStore. PSK keys are sealed with
// the store's secret key, bound to the owning device.
type CredentialRepo struct{ s *Store }

var _ dm.CredentialStore = CredentialRepo{}

// Credentials returns the credential repository.
func (s *Store) Credentials() CredentialRepo { return CredentialRepo{s} }

const credentialCols = "id, device_id, mode, psk_identity, psk_key, certificate_pem, fingerprint, not_after, state, created_at, revoked_at"

func pskAAD(deviceID int64) string {
	return fmt.Sprintf("shoal/credential/psk_key/device/%d", deviceID)
}

func (r CredentialRepo) scan(sc scanner) (models.Credential, error) {
	var c models.Credential
	var ident, fp sql.NullString
	var key []byte
	var mode, state string
	var notAfter, created, revoked dbTime
	if err := sc.Scan(&c.ID, &c.DeviceID, &mode, &ident, &key, &c.CertificatePEM, &fp, &notAfter, &state, &created, &revoked); err != nil {
		return c, err
	}
	c.Mode, c.State = models.SecurityMode(mode), models.CredentialState(state)
	c.PSKIdentity, c.Fingerprint = ident.String, fp.String
	c.NotAfter, c.CreatedAt, c.RevokedAt = notAfter.T, created.T, revoked.T
	if len(key) > 0 {
		plain, err := r.s.box.open(key, pskAAD(c.DeviceID))
		if err != nil {
			return c, fmt.Errorf("psk key of credential %d: %w", c.ID, err)
		}
		c.PSKKey = plain
	}
	return c, nil
}

func validateCredential(c *models.Credential) error {
	switch c.Mode {
	case models.ModePSK:
		if c.PSKIdentity == "" || len(c.PSKKey) == 0 {
			return fmt.Errorf("%w: a psk credential needs an identity and a key", dm.ErrInvalid)
		}
	case models.ModeX509:
		if c.Fingerprint == "" {
			return fmt.Errorf("%w: an x509 credential needs a certificate fingerprint", dm.ErrInvalid)
		}
	case models.ModeNoSec:
	default:
		return fmt.Errorf("%w: security mode %q", dm.ErrInvalid, c.Mode)
	}
	switch c.State {
	case models.CredentialActive, models.CredentialPending, models.CredentialRevoked:
	default:
		return fmt.Errorf("%w: credential state %q", dm.ErrInvalid, c.State)
	}
	if c.DeviceID == 0 {
		return fmt.Errorf("%w: credential without a device", dm.ErrInvalid)
	}
	return nil
}

// Put implements dm.CredentialStore.
func (r CredentialRepo) Put(ctx context.Context, c *models.Credential) error {
	s := r.s
	what := fmt.Sprintf("put credential %d of device %d", c.ID, c.DeviceID)
	if c.State == "" {
		c.State = models.CredentialActive
	}
	c.Fingerprint = strings.ToLower(c.Fingerprint)
	if err := validateCredential(c); err != nil {
		return s.wrap(err, what)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if c.State == models.CredentialRevoked && c.RevokedAt.IsZero() {
		c.RevokedAt = s.now()
	}
	var key []byte
	if len(c.PSKKey) > 0 {
		var err error
		if key, err = s.box.seal(c.PSKKey, pskAAD(c.DeviceID)); err != nil {
			return s.wrap(err, what)
		}
	}
	args := []any{c.DeviceID, string(c.Mode), nullStr(c.PSKIdentity), key, c.CertificatePEM, nullStr(c.Fingerprint),
		s.t(c.NotAfter), string(c.State), s.t(c.CreatedAt), s.t(c.RevokedAt)}
	var err error
	if c.ID == 0 {
		err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO credentials (device_id, mode, psk_identity, psk_key, certificate_pem, fingerprint, not_after, state, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), args...).Scan(&c.ID)
	} else {
		err = affected(s.w.ExecContext(ctx, s.q(`UPDATE credentials SET device_id = ?, mode = ?, psk_identity = ?, psk_key = ?, certificate_pem = ?,
			fingerprint = ?, not_after = ?, state = ?, created_at = ?, revoked_at = ? WHERE id = ?`), append(args, c.ID)...))
	}
	return s.wrap(err, what)
}

// Get implements dm.CredentialStore.
func (r CredentialRepo) Get(ctx context.Context, id int64) (models.Credential, error) {
	c, err := r.scan(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+credentialCols+" FROM credentials WHERE id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("credential %d", id))
}

// ByDevice implements dm.CredentialStore.
func (r CredentialRepo) ByDevice(ctx context.Context, deviceID int64) ([]models.Credential, error) {
	s := r.s
	rows, err := s.r.QueryContext(ctx, s.q("SELECT "+credentialCols+" FROM credentials WHERE device_id = ? ORDER BY id"), deviceID)
	if err != nil {
		return nil, s.wrap(err, fmt.Sprintf("credentials of device %d", deviceID))
	}
	defer rows.Close()
	var out []models.Credential
	for rows.Next() {
		c, err := r.scan(rows)
		if err != nil {
			return nil, s.wrap(err, fmt.Sprintf("credentials of device %d", deviceID))
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err(), fmt.Sprintf("credentials of device %d", deviceID))
}

// byUnique returns the live credential with col = v, else the newest
// revoked one.
func (r CredentialRepo) byUnique(ctx context.Context, col, v, what string) (models.Credential, error) {
	s := r.s
	c, err := r.scan(s.r.QueryRowxContext(ctx, s.q("SELECT "+credentialCols+" FROM credentials WHERE "+col+` = ?
		ORDER BY CASE WHEN state = 'revoked' THEN 1 ELSE 0 END, id DESC LIMIT 1`), v))
	return c, s.wrap(err, what)
}

// ByPSKIdentity implements dm.CredentialStore.
func (r CredentialRepo) ByPSKIdentity(ctx context.Context, identity string) (models.Credential, error) {
	return r.byUnique(ctx, "psk_identity", identity, fmt.Sprintf("credential with psk identity %q", identity))
}

// ByFingerprint implements dm.CredentialStore.
func (r CredentialRepo) ByFingerprint(ctx context.Context, fingerprint string) (models.Credential, error) {
	fp := strings.ToLower(fingerprint)
	return r.byUnique(ctx, "fingerprint", fp, fmt.Sprintf("credential with fingerprint %s", fp))
}

// Revoke implements dm.CredentialStore.
func (r CredentialRepo) Revoke(ctx context.Context, id int64, at time.Time) error {
	s := r.s
	if at.IsZero() {
		at = s.now()
	}
	err := s.inTx(ctx, func(tx *sqlTx) error {
		var n int
		if err := tx.GetContext(ctx, &n, s.q("SELECT count(*) FROM credentials WHERE id = ?"), id); err != nil {
			return err
		}
		if n == 0 {
			return sql.ErrNoRows
		}
		_, err := tx.ExecContext(ctx, s.q("UPDATE credentials SET state = 'revoked', revoked_at = ? WHERE id = ? AND state <> 'revoked'"), s.t(at), id)
		return err
	})
	return s.wrap(err, fmt.Sprintf("revoke credential %d", id))
}

// RevokeDevice implements dm.CredentialStore.
func (r CredentialRepo) RevokeDevice(ctx context.Context, deviceID int64, at time.Time) (int64, error) {
	s := r.s
	if at.IsZero() {
		at = s.now()
	}
	res, err := s.w.ExecContext(ctx, s.q("UPDATE credentials SET state = 'revoked', revoked_at = ? WHERE device_id = ? AND state <> 'revoked'"), s.t(at), deviceID)
	if err != nil {
		return 0, s.wrap(err, fmt.Sprintf("revoke credentials of device %d", deviceID))
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err, fmt.Sprintf("revoke credentials of device %d", deviceID))
}
