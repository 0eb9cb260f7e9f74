// Command shoalctl is Shoal's operator CLI. It speaks only the REST API:
// every endpoint is a command (devices, LwM2M operations, commands,
// telemetry, events, profiles, customers, users, tokens, audit, assets,
// relations, alarms, alarm rules, webhooks, bootstrap, credentials, ca, firmware,
// campaign). The server and token come from --server
// and --token, else SHOAL_SERVER and SHOAL_TOKEN, else the config file
// ~/.config/shoal/shoalctl.yaml (or shoalctl.json). Output is an aligned
// table, or JSON with -o json. An error prints the problem's title and
// detail on one line and exits non-zero.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the server refused, or could not be reached
	exitUsage = 2 // bad arguments or configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// app is one invocation: its streams, environment and resolved settings.
type app struct {
	in       io.Reader
	out, err io.Writer
	getenv   func(string) string

	flags globalFlags
	cfg   settings
	api   *apiClient
}

// globalFlags are the persistent flags.
type globalFlags struct {
	server, token, output, config string
	insecure                      bool
}

// usageError marks errors in how shoalctl was called.
type usageError struct{ error }

// run executes shoalctl with args and returns the exit code.
func run(ctx context.Context, args []string, in io.Reader, out, errw io.Writer, getenv func(string) string) int {
	a := &app{in: in, out: out, err: errw, getenv: getenv}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errw)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(errw, "shoalctl:", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitError
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "shoalctl",
		Short:         "Operate a Shoal server through its REST API",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolveSettings(a.flags, a.getenv)
			if err != nil {
				return usageError{err}
			}
			a.cfg = cfg
			a.api = newClient(cfg)
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.server, "server", "", "Shoal API base URL, e.g. http://localhost:8080 (env SHOAL_SERVER)")
	pf.StringVar(&a.flags.token, "token", "", "API bearer token (env SHOAL_TOKEN)")
	pf.StringVarP(&a.flags.output, "output", "o", "", "output format: table or json")
	pf.StringVar(&a.flags.config, "config", "", "config file (default ~/.config/shoal/shoalctl.yaml or .json)")
	pf.BoolVar(&a.flags.insecure, "insecure", false, "accept any TLS certificate from the server")
	root.AddCommand(a.devicesCmd(), a.commandsCmd(), a.profilesCmd(), a.telemetryCmd(), a.eventsCmd(),
		a.versionCmd())
	root.AddCommand(a.opCmds()...)
	root.AddCommand(a.serverCmds()...)
	root.AddCommand(a.tenancyCmds()...)
	root.AddCommand(a.assetCmds()...)
	root.AddCommand(a.alarmCmds()...)
	root.AddCommand(a.bootstrapCmds()...)
	root.AddCommand(a.firmwareCmds()...)
	return root
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print shoalctl's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.out, "shoalctl", version)
			return err
		},
	}
}
