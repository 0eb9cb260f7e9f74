package sqlite_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// BenchmarkStorage: go test -run '^$' -bench Storage ./storage/sqlite/
func BenchmarkStorage(b *testing.B) {
	storetest.Bench(b, storetest.SQLite())
}
