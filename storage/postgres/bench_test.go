package postgres_test

import (
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// BenchmarkStorage: SHOAL_TEST_POSTGRES_DSN=… go test -run '^$' -bench Storage ./storage/postgres/
func BenchmarkStorage(b *testing.B) {
	storetest.Bench(b, storetest.Postgres(b))
}
