// Package sqlite is Shoal's embedded storage backend: it opens a SQLite
// file (github.com/mattn/go-sqlite3) in WAL mode with a busy timeout and
// foreign keys on, as one writer connection plus a pool of query-only
// reader connections, refuses files that are not SQLite or belong to
// another application, and supplies the SQLite dialect and migrations to
// the shared repository code in package storage.
package sqlite
