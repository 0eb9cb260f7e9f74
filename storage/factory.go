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

// FactoryRepo implements dm.FactoryCredentialStore. Factory PSK keys are
// sealed with the store's secret key, bound to their identity.
type FactoryRepo struct{ s *Store }

var _ dm.FactoryCredentialStore = FactoryRepo{}

// FactoryCredentials returns the factory credential repository.
func (s *Store) FactoryCredentials() FactoryRepo { return FactoryRepo{s} }

const factoryCols = "a.id, a.account_id, a.device_id, a.mode, a.psk_identity, a.psk_key, a.certificate_pem, a.fingerprint, a.state, a.created_at, a.revoked_at"

func factoryAAD(identity string) string { return "shoal/factory/psk_key/identity/" + identity }

func (r FactoryRepo) scan(sc scanner) (models.FactoryCredential, error) {
	var c models.FactoryCredential
	var acct, dev sql.NullInt64
	var ident, fp sql.NullString
	var key []byte
	var mode, state string
	var created, revoked dbTime
	if err := sc.Scan(&c.ID, &acct, &dev, &mode, &ident, &key, &c.CertificatePEM, &fp, &state, &created, &revoked); err != nil {
		return c, err
	}
	c.AccountID, c.DeviceID = acct.Int64, dev.Int64
	c.Mode, c.State = models.FactoryMode(mode), models.CredentialState(state)
	c.PSKIdentity, c.Fingerprint = ident.String, fp.String
	c.CreatedAt, c.RevokedAt = created.T, revoked.T
	if len(key) > 0 {
		plain, err := r.s.box.open(key, factoryAAD(c.PSKIdentity))
		if err != nil {
			return c, fmt.Errorf("psk key of factory credential %d: %w", c.ID, err)
		}
		c.PSKKey = plain
	}
	return c, nil
}

func validateFactory(c *models.FactoryCredential) error {
	if (c.AccountID == 0) == (c.DeviceID == 0) {
		return fmt.Errorf("%w: a factory credential belongs to a device or to a bootstrap account, exactly one", dm.ErrInvalid)
	}
	switch c.Mode {
	case models.FactoryPSK:
		if c.PSKIdentity == "" || len(c.PSKKey) == 0 {
			return fmt.Errorf("%w: a psk factory credential needs an identity and a key", dm.ErrInvalid)
		}
	case models.FactoryX509, models.FactoryX509CA:
		if c.Fingerprint == "" || c.CertificatePEM == "" {
			return fmt.Errorf("%w: an %s factory credential needs a certificate", dm.ErrInvalid, c.Mode)
		}
	case models.FactoryNoSec:
	default:
		return fmt.Errorf("%w: factory credential mode %q", dm.ErrInvalid, c.Mode)
	}
	if c.State != models.CredentialActive && c.State != models.CredentialRevoked {
		return fmt.Errorf("%w: factory credential state %q", dm.ErrInvalid, c.State)
	}
	return nil
}

// Put implements dm.FactoryCredentialStore.
func (r FactoryRepo) Put(ctx context.Context, c *models.FactoryCredential) error {
	s := r.s
	what := fmt.Sprintf("put factory credential %d", c.ID)
	if c.State == "" {
		c.State = models.CredentialActive
	}
	c.Fingerprint = strings.ToLower(c.Fingerprint)
	if err := validateFactory(c); err != nil {
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
		if key, err = s.box.seal(c.PSKKey, factoryAAD(c.PSKIdentity)); err != nil {
			return s.wrap(err, what)
		}
	}
	args := []any{nullID(c.AccountID), nullID(c.DeviceID), string(c.Mode), nullStr(c.PSKIdentity), key, c.CertificatePEM,
		nullStr(c.Fingerprint), string(c.State), s.t(c.CreatedAt), s.t(c.RevokedAt)}
	var err error
	if c.ID == 0 {
		err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO factory_credentials (account_id, device_id, mode, psk_identity, psk_key,
			certificate_pem, fingerprint, state, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), args...).Scan(&c.ID)
	} else {
		err = affected(s.w.ExecContext(ctx, s.q(`UPDATE factory_credentials SET account_id = ?, device_id = ?, mode = ?, psk_identity = ?,
			psk_key = ?, certificate_pem = ?, fingerprint = ?, state = ?, created_at = ?, revoked_at = ? WHERE id = ?`), append(args, c.ID)...))
	}
	return s.wrap(err, what)
}

// Get implements dm.FactoryCredentialStore.
func (r FactoryRepo) Get(ctx context.Context, id int64) (models.FactoryCredential, error) {
	c, err := r.scan(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+factoryCols+" FROM factory_credentials a WHERE a.id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("factory credential %d", id))
}

func (r FactoryRepo) byUnique(ctx context.Context, col, v, what string) (models.FactoryCredential, error) {
	s := r.s
	c, err := r.scan(s.r.QueryRowxContext(ctx, s.q("SELECT "+factoryCols+" FROM factory_credentials a WHERE a."+col+` = ?
		ORDER BY CASE WHEN a.state = 'revoked' THEN 1 ELSE 0 END, a.id DESC LIMIT 1`), v))
	return c, s.wrap(err, what)
}

// ByPSKIdentity implements dm.FactoryCredentialStore.
func (r FactoryRepo) ByPSKIdentity(ctx context.Context, identity string) (models.FactoryCredential, error) {
	return r.byUnique(ctx, "psk_identity", identity, fmt.Sprintf("factory credential with psk identity %q", identity))
}

// ByFingerprint implements dm.FactoryCredentialStore.
func (r FactoryRepo) ByFingerprint(ctx context.Context, fingerprint string) (models.FactoryCredential, error) {
	fp := strings.ToLower(fingerprint)
	return r.byUnique(ctx, "fingerprint", fp, fmt.Sprintf("factory credential with fingerprint %s", fp))
}

// CAs implements dm.FactoryCredentialStore.
func (r FactoryRepo) CAs(ctx context.Context) ([]models.FactoryCredential, error) {
	s := r.s
	rows, err := s.r.QueryContext(ctx, s.q("SELECT "+factoryCols+" FROM factory_credentials a WHERE a.mode = 'x509-ca' AND a.state = 'active' ORDER BY a.id"))
	if err != nil {
		return nil, s.wrap(err, "factory CAs")
	}
	defer rows.Close()
	var out []models.FactoryCredential
	for rows.Next() {
		c, err := r.scan(rows)
		if err != nil {
			return nil, s.wrap(err, "factory CAs")
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err(), "factory CAs")
}

// List implements dm.FactoryCredentialStore.
func (r FactoryRepo) List(ctx context.Context, f dm.FactoryFilter, p dm.PageRequest) (dm.Page[models.FactoryCredential], error) {
	lq := listQuery{cols: factoryCols, from: "factory_credentials a"}
	if f.AccountID != 0 {
		lq.w.add("a.account_id = ?", f.AccountID)
	}
	if f.DeviceID != 0 {
		lq.w.add("a.device_id = ?", f.DeviceID)
	}
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.FactoryCredential, int64, error) {
		c, err := r.scan(rows)
		return c, c.ID, err
	})
	return out, r.s.wrap(err, "list factory credentials")
}

// Revoke implements dm.FactoryCredentialStore.
func (r FactoryRepo) Revoke(ctx context.Context, id int64, at time.Time) error {
	s := r.s
	if at.IsZero() {
		at = s.now()
	}
	err := s.inTx(ctx, func(tx *sqlTx) error {
		var n int
		if err := tx.GetContext(ctx, &n, s.q("SELECT count(*) FROM factory_credentials WHERE id = ?"), id); err != nil {
			return err
		}
		if n == 0 {
			return sql.ErrNoRows
		}
		_, err := tx.ExecContext(ctx, s.q("UPDATE factory_credentials SET state = 'revoked', revoked_at = ? WHERE id = ? AND state <> 'revoked'"), s.t(at), id)
		return err
	})
	return s.wrap(err, fmt.Sprintf("revoke factory credential %d", id))
}

// Binding implements dm.FactoryCredentialStore.
func (r FactoryRepo) Binding(ctx context.Context, endpoint string) (models.BootstrapBinding, error) {
	s := r.s
	var b models.BootstrapBinding
	var at dbTime
	err := s.r.QueryRowxContext(ctx, s.q("SELECT endpoint, device_id, factory_credential_id, identity, bound_at FROM bootstrap_bindings WHERE endpoint = ?"),
		endpoint).Scan(&b.Endpoint, &b.DeviceID, &b.FactoryCredentialID, &b.Identity, &at)
	b.BoundAt = at.T
	return b, s.wrap(err, fmt.Sprintf("bootstrap binding of %q", endpoint))
}

// Bind implements dm.FactoryCredentialStore.
func (r FactoryRepo) Bind(ctx context.Context, b models.BootstrapBinding) error {
	s := r.s
	if b.BoundAt.IsZero() {
		b.BoundAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, s.q("INSERT INTO bootstrap_bindings (endpoint, device_id, factory_credential_id, identity, bound_at) VALUES (?, ?, ?, ?, ?)"),
		b.Endpoint, b.DeviceID, b.FactoryCredentialID, b.Identity, s.t(b.BoundAt))
	return s.wrap(err, fmt.Sprintf("bind %q to factory credential %d", b.Endpoint, b.FactoryCredentialID))
}

// Unbind implements dm.FactoryCredentialStore.
func (r FactoryRepo) Unbind(ctx context.Context, endpoint string) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM bootstrap_bindings WHERE endpoint = ?"), endpoint))
	return r.s.wrap(err, fmt.Sprintf("unbind %q", endpoint))
}
