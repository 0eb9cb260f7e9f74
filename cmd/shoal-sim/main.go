// Command shoal-sim simulates LwM2M devices: `shoal-sim device` runs one
// device with an interactive prompt (for test labs, or driven by a
// script on stdin), and `shoal-sim fleet` runs thousands of devices
// against a server, with live progress and a JSON summary — the load
// generator of Shoal's benchmarks. Flag parsing and wiring only: the logic
// lives in package sim and lwm2m/client.
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
		fmt.Fprintln(os.Stderr, "shoal-sim:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "shoal-sim",
		Short:         "Simulated LwM2M devices: one interactively, or a fleet for load tests",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDeviceCmd(), newFleetCmd(), &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "shoal-sim", version)
		},
	})
	return root
}
