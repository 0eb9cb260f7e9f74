// Package postgres is Shoal's multi-node storage backend: it opens a
// PostgreSQL database through pgx/v5's database/sql driver and supplies the
// PostgreSQL dialect, its migrations and a COPY-based bulk insert to the
// shared repository code in package storage.
package postgres
