package sqlite_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestConformance runs the storage conformance suite on SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.SQLite())
}
