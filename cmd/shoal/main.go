// Command shoal is the Shoal server and its operator tools: `shoal serve`
// runs the LwM2M server (and, as they land, storage, the REST API and the
// bootstrap server); `shoal decode` and `shoal encode` translate captured
// LwM2M payloads to and from JSON. Flag parsing and wiring only: the logic
// lives in the packages it calls.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "shoal:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "shoal",
		Short:         "Shoal — an LwM2M device management server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDecodeCmd(), newEncodeCmd(), newVersionCmd(), withPprof(newServeCmd()), newMigrateCmd(), newCACmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "shoal", version)
		},
	}
}
