package storage

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/storage/postgres"
	"github.com/shoal-iot/shoal/storage/sqlite"
)

// KeyFileName is the name of the secret key file in the data directory.
const KeyFileName = "secret.key"

// DefaultQueueDepth is the default per-device command queue limit.
const DefaultQueueDepth = 100

// Options configure Open. The zero value works for SQLite (the key file is
// kept next to the database file); PostgreSQL needs SecretKey, KeyFile or
// DataDir.
type Options struct {
	// DataDir is Shoal's data directory; the key file defaults to
	// DataDir/secret.key.
	DataDir string
	// SecretKey is the 32-byte AES-256 key that encrypts credential
	// secrets. When nil the key is read from KeyFile, which is created
	// (mode 0600, 64 hex digits) when absent.
	SecretKey []byte
	KeyFile   string
	// QueueDepth is the per-device command queue limit (default 100).
	QueueDepth int
	// NoMigrate opens without applying pending migrations; a schema older
	// than the binary's is then refused.
	NoMigrate bool
	SQLite    sqlite.Config
	Postgres  postgres.Config
	// Logger receives warnings and errors; the zero value discards them.
	Logger zerolog.Logger
	// Clock supplies "now" for timestamps the store fills in (nil: time.Now).
	Clock func() time.Time
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.SecretKey != nil && len(o.SecretKey) != 32 {
		return fmt.Errorf("storage: SecretKey is %d bytes, AES-256 needs 32", len(o.SecretKey))
	}
	if o.QueueDepth < 0 {
		return fmt.Errorf("storage: QueueDepth %d: must not be negative", o.QueueDepth)
	}
	return errors.Join(o.SQLite.Validate(), o.Postgres.Validate())
}

func (o Options) withDefaults() Options {
	if o.QueueDepth == 0 {
		o.QueueDepth = DefaultQueueDepth
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}
