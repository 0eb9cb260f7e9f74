package postgres_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestConformance runs the storage conformance suite on PostgreSQL, one
// schema per test. Without SHOAL_TEST_POSTGRES_DSN it is skipped.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Postgres(t))
}
