// Package storage persists Shoal's state on SQLite (embedded, the default)
// or PostgreSQL (several server nodes), behind the store interfaces package
// dm declares.
//
// Open(ctx, dsn, opts) accepts "sqlite://PATH", "sqlite:PATH", a bare file
// path, or a "postgres://…" URL, applies the embedded migrations of that
// dialect and returns a *Store. Store is one value with an accessor per
// aggregate — Devices(), Credentials(), Commands(), Telemetry(), … — each
// returning a repository that implements the matching dm interface; the
// repository code is shared by both dialects, which differ only in the
// small hooks of package storage/dialect.
//
// Alongside the repositories: TelemetryWriter batches telemetry points
// with back-pressure, Retention deletes old telemetry and events in bounded
// batches, and Migrate applies migrations for `shoal migrate`. Credential
// secrets are encrypted at rest with AES-256-GCM under a key from Options
// or a key file (see Options).
//
// At this boundary sql.ErrNoRows becomes dm.ErrNotFound and constraint
// violations of either driver become dm.ErrConflict or dm.ErrInvalid.
package storage
