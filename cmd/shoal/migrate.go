package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shoal-iot/shoal/storage"
)

func newMigrateCmd() *cobra.Command {
	var dataDir, db string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Long: `Apply the database migrations this binary carries (shoal serve also does at start).
--db and --data-dir mean what they mean for serve (also SHOAL_DB, SHOAL_DATA_DIR).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			if db == "" {
				if err := os.MkdirAll(dataDir, 0o700); err != nil {
					return fmt.Errorf("data directory: %w", err)
				}
				db = "sqlite://" + filepath.Join(dataDir, "shoal.db")
			}
			res, err := storage.Migrate(cmd.Context(), db, storage.Options{DataDir: dataDir})
			if err != nil {
				return err
			}
			if res.From == res.To {
				fmt.Fprintf(cmd.OutOrStdout(), "%s schema is up to date (version %d)\n", res.Backend, res.To)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s schema migrated from version %d to %d\n", res.Backend, res.From, res.To)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./shoal-data", "data directory")
	cmd.Flags().StringVar(&db, "db", "", "database: sqlite://PATH or postgres://… (default: SQLite in the data directory)")
	return cmd
}
