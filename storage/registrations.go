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

// RegistrationRepo implements dm.RegistrationStore.
type RegistrationRepo struct{ s *Store }

var _ dm.RegistrationStore = RegistrationRepo{}

// Registrations returns the registration repository.
func (s *Store) Registrations() RegistrationRepo { return RegistrationRepo{s} }

const registrationCols = "endpoint, registration_id, address, lifetime_ns, binding, lwm2m_version, sms, queue_mode, root_path, object_links, registered_at, last_seen, expires_at, transport, identity"

// registrationChunk rows go into one multi-row upsert (15 columns each,
// well under both dialects' parameter limits).
const registrationChunk = 500

func scanRegistration(sc scanner) (models.Registration, error) {
	var r models.Registration
	var lifetime int64
	var transport string
	var reg, seen, exp dbTime
	err := sc.Scan(&r.Endpoint, &r.RegistrationID, &r.Address, &lifetime, &r.Binding, &r.LwM2MVersion, &r.SMS, &r.QueueMode,
		&r.RootPath, &r.ObjectLinks, &reg, &seen, &exp, &transport, &r.Identity)
	r.Lifetime, r.Transport = time.Duration(lifetime), models.Transport(transport)
	r.RegisteredAt, r.LastSeen, r.ExpiresAt = reg.T, seen.T, exp.T
	return r, err
}

func (r RegistrationRepo) args(reg *models.Registration) []any {
	s := r.s
	return []any{reg.Endpoint, reg.RegistrationID, reg.Address, int64(reg.Lifetime), reg.Binding, reg.LwM2MVersion, reg.SMS, reg.QueueMode,
		reg.RootPath, reg.ObjectLinks, s.t(reg.RegisteredAt), s.t(reg.LastSeen), s.t(reg.ExpiresAt), string(reg.Transport), reg.Identity}
}

func validateRegistration(reg *models.Registration) error {
	if reg.Endpoint == "" {
		return fmt.Errorf("%w: registration without an endpoint", dm.ErrInvalid)
	}
	if reg.RegistrationID == "" {
		return fmt.Errorf("%w: registration of %q without a registration id", dm.ErrInvalid, reg.Endpoint)
	}
	return nil
}

const registrationUpsertTail = ` ON CONFLICT (endpoint) DO UPDATE SET registration_id = excluded.registration_id,
	address = excluded.address, lifetime_ns = excluded.lifetime_ns, binding = excluded.binding,
	lwm2m_version = excluded.lwm2m_version, sms = excluded.sms, queue_mode = excluded.queue_mode,
	root_path = excluded.root_path, object_links = excluded.object_links, registered_at = excluded.registered_at,
	last_seen = excluded.last_seen, expires_at = excluded.expires_at, transport = excluded.transport,
	identity = excluded.identity`

// Upsert implements dm.RegistrationStore.
func (r RegistrationRepo) Upsert(ctx context.Context, reg models.Registration) error {
	return r.UpsertBatch(ctx, []models.Registration{reg})
}

// UpsertBatch implements dm.RegistrationStore with multi-row upserts of up
// to 500 rows in one transaction. When an endpoint appears more than once
// the last one wins.
func (r RegistrationRepo) UpsertBatch(ctx context.Context, regs []models.Registration) error {
	s := r.s
	what := fmt.Sprintf("upsert %d registrations", len(regs))
	if len(regs) == 1 {
		what = fmt.Sprintf("upsert registration of %q", regs[0].Endpoint)
	}
	last := make(map[string]int, len(regs))
	for i := range regs {
		if err := validateRegistration(&regs[i]); err != nil {
			return s.wrap(err, what)
		}
		last[regs[i].Endpoint] = i
	}
	uniq := make([]*models.Registration, 0, len(last))
	for i := range regs {
		if last[regs[i].Endpoint] == i {
			uniq = append(uniq, &regs[i])
		}
	}
	if len(uniq) == 0 {
		return nil
	}
	row := placeholders(15)
	err := s.inTx(ctx, func(tx *sqlTx) error {
		for start := 0; start < len(uniq); start += registrationChunk {
			chunk := uniq[start:min(start+registrationChunk, len(uniq))]
			args := make([]any, 0, 15*len(chunk))
			for _, reg := range chunk {
				args = append(args, r.args(reg)...)
			}
			q := "INSERT INTO registrations (" + registrationCols + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ") + registrationUpsertTail
			if _, err := tx.ExecContext(rowCtx(ctx), s.q(q), args...); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap(err, what)
}

// Get implements dm.RegistrationStore.
func (r RegistrationRepo) Get(ctx context.Context, endpoint string) (models.Registration, error) {
	reg, err := scanRegistration(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+registrationCols+" FROM registrations WHERE endpoint = ?"), endpoint))
	return reg, r.s.wrap(err, fmt.Sprintf("registration of %q", endpoint))
}

// GetByRegistrationID implements dm.RegistrationStore.
func (r RegistrationRepo) GetByRegistrationID(ctx context.Context, id string) (models.Registration, error) {
	reg, err := scanRegistration(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+registrationCols+" FROM registrations WHERE registration_id = ?"), id))
	return reg, r.s.wrap(err, fmt.Sprintf("registration %q", id))
}

// Delete implements dm.RegistrationStore.
func (r RegistrationRepo) Delete(ctx context.Context, endpoint, registrationID string) error {
	s := r.s
	var err error
	if registrationID == "" {
		err = affected(s.w.ExecContext(ctx, s.q("DELETE FROM registrations WHERE endpoint = ?"), endpoint))
	} else {
		err = affected(s.w.ExecContext(ctx, s.q("DELETE FROM registrations WHERE endpoint = ? AND registration_id = ?"), endpoint, registrationID))
	}
	return s.wrapDelete(err, fmt.Sprintf("delete registration %q of %q", registrationID, endpoint))
}

// All implements dm.RegistrationStore, in endpoint order.
func (r RegistrationRepo) All(ctx context.Context) ([]models.Registration, error) {
	s := r.s
	rows, err := s.r.QueryContext(ctx, "SELECT "+registrationCols+" FROM registrations ORDER BY endpoint")
	if err != nil {
		return nil, s.wrap(err, "all registrations")
	}
	return collect(rows, scanRegistration, s, "all registrations")
}

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error), s *Store, what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.wrap(err, what)
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err(), what)
}
