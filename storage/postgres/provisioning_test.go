package postgres_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestProvisioningConformance runs the bootstrap and credential-lifecycle
// conformance tests on PostgreSQL. Without SHOAL_TEST_POSTGRES_DSN it is
// skipped.
func TestProvisioningConformance(t *testing.T) {
	storetest.RunProvisioning(t, storetest.Postgres(t))
}
