package postgres_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestCrash kills a writer subprocess with SIGKILL mid-stream and checks
// that everything it acknowledged is in PostgreSQL.
func TestCrash(t *testing.T) {
	storetest.Crash(t, storetest.Postgres(t), "TestCrash")
}
