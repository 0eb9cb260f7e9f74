package sqlite_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestProvisioningConformance runs the bootstrap and credential-lifecycle
// conformance tests on SQLite files.
func TestProvisioningConformance(t *testing.T) {
	storetest.RunProvisioning(t, storetest.SQLite())
}
