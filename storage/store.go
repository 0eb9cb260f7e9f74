package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/storage/dialect"
)

// Store is an open database. Its accessor methods return the repository of
// each aggregate; all share the store's connections and are safe for
// concurrent use. Close releases the connections.
type Store struct {
	d    dialect.Dialect
	w, r *sqlx.DB
	box  *secretBox
	opts Options
	log  zerolog.Logger

	rebound sync.Map // query with '?' → query in the dialect's bind style
	stmts   sync.Map // insert statement text → *sql.Stmt prepared on the writer pool
	rstmts  sync.Map // hot lookup text → *sql.Stmt prepared on the reader pool
}

// Backend returns "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.Name() }

// insertQuery is a multi-row INSERT of rows rows into table.
func (s *Store) insertQuery(table string, cols []string, rows int) string {
	return s.q("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(placeholders(len(cols))+", ", rows), ", "))
}

// prepared returns q prepared once on the writer pool and kept for the
// store's life. Call it outside a transaction: SQLite's writer pool has one
// connection, which a transaction holds.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if v, ok := s.stmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := s.w.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// preparedRead returns q prepared once on the reader pool (each pooled
// connection prepares it on first use and keeps it), for the lookups the
// hot paths repeat: parsing the SQL again on every call cost more than
// running it.
func (s *Store) preparedRead(ctx context.Context, q string) (*sql.Stmt, error) {
	if v, ok := s.rstmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := s.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.rstmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Close closes the prepared statements and the connections.
func (s *Store) Close() error {
	for _, m := range []*sync.Map{&s.stmts, &s.rstmts} {
		m.Range(func(_, v any) bool {
			v.(*sql.Stmt).Close()
			return true
		})
	}
	return dialect.Conns{Writer: s.w, Reader: s.r}.Close()
}

// SchemaVersion returns the database's schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return currentVersion(ctx, s.r)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.w.PingContext(ctx) }

func (s *Store) now() time.Time { return s.opts.Clock().UTC().Truncate(time.Microsecond) }

// q rebinds a query written with '?' placeholders to the dialect.
func (s *Store) q(query string) string {
	if s.d.BindType() == sqlx.QUESTION {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	r := sqlx.Rebind(s.d.BindType(), query)
	s.rebound.Store(query, r)
	return r
}

// t binds a time.
func (s *Store) t(t time.Time) any { return s.d.Time(t) }

// inTx runs fn in a write transaction, committing when it returns nil.
// sqlTx is a write transaction.
type sqlTx = sqlx.Tx

func (s *Store) inTx(ctx context.Context, fn func(tx *sqlTx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Error mapping at the storage boundary.

// wrap turns driver errors into dm's typed errors for a create, update or
// read; what says which record ("device \"ep1\"").
func (s *Store) wrap(err error, what string) error {
	return s.mapErr(err, what, dm.ErrInvalid)
}

// wrapDelete is wrap for deletes, where a foreign-key violation means the
// record is still referenced.
func (s *Store) wrapDelete(err error, what string) error {
	return s.mapErr(err, what, dm.ErrConflict)
}

func (s *Store) mapErr(err error, what string, fk error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storage: %s: %w", what, dm.ErrNotFound)
	}
	for _, e := range []error{dm.ErrNotFound, dm.ErrConflict, dm.ErrInvalid, dm.ErrQueueFull, ErrSecretKey} {
		if errors.Is(err, e) {
			return fmt.Errorf("storage: %s: %w", what, err)
		}
	}
	switch v, detail := s.d.Classify(err); v {
	case dialect.Unique:
		if name, ok := uniqueNames[detail]; ok {
			detail = name
		}
		return fmt.Errorf("storage: %s: %w: %s is already taken", what, dm.ErrConflict, detail)
	case dialect.ForeignKey:
		if fk == dm.ErrConflict {
			return fmt.Errorf("storage: %s: %w: still referenced (%s)", what, dm.ErrConflict, detail)
		}
		return fmt.Errorf("storage: %s: %w: refers to a record that does not exist (%s)", what, dm.ErrInvalid, detail)
	case dialect.Check:
		return fmt.Errorf("storage: %s: %w: value not allowed (%s)", what, dm.ErrInvalid, detail)
	}
	return fmt.Errorf("storage: %s: %w", what, err)
}

// uniqueNames says in words what a unique constraint protects, keyed by
// SQLite's "table.column" and PostgreSQL's constraint name.
var uniqueNames = map[string]string{
	"devices.endpoint": "the endpoint", "devices_endpoint_key": "the endpoint",
	"credentials.psk_identity": "the PSK identity", "credentials_identity_live": "the PSK identity",
	"credentials.fingerprint": "the certificate fingerprint", "credentials_fingerprint_live": "the certificate fingerprint",
	"profiles.name": "the profile name", "profiles_name_key": "the profile name",
	"customers.name": "the customer name", "customers_name_key": "the customer name",
	"users.email": "the e-mail address", "users_email_key": "the e-mail address",
	"api_tokens.hash": "the token", "api_tokens_hash_key": "the token",
	"registrations.registration_id": "the registration id", "registrations_registration_id_key": "the registration id",
	"relations.from_kind, relations.from_id, relations.to_kind, relations.to_id, relations.type": "the relation",
	"relations_pkey":                "the relation",
	"alarms.device_id, alarms.rule": "the open alarm of this rule", "alarms_open": "the open alarm of this rule",
}

// affected returns sql.ErrNoRows when res touched no row.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}
