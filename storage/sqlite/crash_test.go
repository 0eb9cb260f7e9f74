package sqlite_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestCrash kills a writer subprocess with SIGKILL mid-stream and checks
// that everything it acknowledged is in the SQLite file.
func TestCrash(t *testing.T) {
	storetest.Crash(t, storetest.SQLite(), "TestCrash")
}
