// Package storetest is the conformance suite of package storage: one set of
// behavioural tests for every store interface, run against each backend
// (storage/sqlite and storage/postgres run it from their tests), plus the
// shared crash test and benchmarks.
//
// PostgreSQL comes from the SHOAL_TEST_POSTGRES_DSN environment variable:
// unset, the PostgreSQL half is skipped with a message saying how to run
// it; set but unreachable, it fails. Every test gets its own database file
// or PostgreSQL schema, so tests and packages run in parallel.
package storetest
