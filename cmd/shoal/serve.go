package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoal-iot/shoal/app"
)

// envName is the environment variable that presets a flag:
// --coap-addr ↔ SHOAL_COAP_ADDR.
func envName(flag string) string {
	return "SHOAL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv presets every flag the command line left alone from its
// environment variable.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	return err
}

func newServeCmd() *cobra.Command {
	cfg := app.Defaults()
	var demo int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the LwM2M server, device management and the REST API",
		Long: `Run Shoal: the LwM2M server on CoAP (UDP) and CoAPS (DTLS), device management, and
the REST API. Every flag can also be set through the environment: --coap-addr is
SHOAL_COAP_ADDR, --db is SHOAL_DB, and so on. An empty address disables that listener.
The first admin token comes from SHOAL_ADMIN_TOKEN or is generated and printed once
at the first start. SIGINT or SIGTERM shut down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			cfg.AdminToken = os.Getenv("SHOAL_ADMIN_TOKEN")
			cfg.LogOutput = cmd.ErrOrStderr()
			a, err := app.New(cfg)
			if err != nil {
				return err
			}
			if tok := a.AdminToken(); tok != "" {
				printToken(cmd, tok)
			}
			if demo > 0 {
				return runWithDemo(cmd.Context(), a, demo, cfg.DataDir, cmd.OutOrStdout())
			}
			return a.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.IntVar(&demo, "demo", 0, "also run this many simulated demo devices in-process (profile \"demo\": battery and temperature)")
	f.StringVar(&cfg.CoAPAddr, "coap-addr", cfg.CoAPAddr, "LwM2M over CoAP (UDP) listen address; empty disables")
	f.StringVar(&cfg.CoAPSAddr, "coaps-addr", cfg.CoAPSAddr, "LwM2M over CoAPS (DTLS) listen address; empty disables")
	f.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "REST API listen address; empty disables")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate for HTTPS on the REST API")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "PEM key for HTTPS on the REST API")
	f.StringVar(&cfg.DTLSCert, "dtls-cert", "", "PEM certificate for devices connecting with X.509")
	f.StringVar(&cfg.DTLSKey, "dtls-key", "", "PEM key for devices connecting with X.509")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (SQLite database, secret key)")
	f.StringVar(&cfg.DB, "db", "", "database: sqlite://PATH or postgres://… (default: SQLite in the data directory)")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: trace, debug, info, warn, error")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: json or console")
	f.BoolVar(&cfg.AllowUnknownNoSec, "allow-unknown-nosec", false, "register endpoints nobody created over plain UDP (labs, demos)")
	f.BoolVar(&cfg.AllowNoSec, "allow-nosec", false, "allow creating devices without security (plain UDP)")
	f.StringVar(&cfg.ModelsDir, "models-dir", "", "directory of vendor object definitions (DDF XML)")
	f.DurationVar(&cfg.AwakeWindow, "awake-window", cfg.AwakeWindow, "how long a queue-mode device is reachable after it spoke")
	f.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "how long a device has to answer")
	f.IntVar(&cfg.QueueDepth, "queue-depth", cfg.QueueDepth, "commands queued per device at most")
	f.IntVar(&cfg.NStart, "nstart", 1, "requests outstanding to one device at once (RFC 7252 NSTART)")
	f.DurationVar(&cfg.TelemetryRetention, "telemetry-retention", 0, "delete telemetry older than this (0 keeps it)")
	f.DurationVar(&cfg.EventRetention, "event-retention", 0, "delete events older than this (0 keeps them)")
	f.BoolVar(&cfg.PublicMetrics, "public-metrics", false, "serve /metrics without a token")
	f.StringVar(&cfg.BootstrapCoAPAddr, "bootstrap-coap-addr", app.DefaultBootstrapCoAPAddr, "LwM2M bootstrap server over CoAP (UDP) listen address; empty disables")
	f.StringVar(&cfg.BootstrapCoAPSAddr, "bootstrap-coaps-addr", app.DefaultBootstrapCoAPSAddr, "LwM2M bootstrap server over CoAPS (DTLS) listen address; empty disables")
	f.StringVar(&cfg.PublicHost, "public-host", "", "host devices reach the LwM2M server at, written to them at bootstrap (default: the CoAPS listen host, else localhost)")
	f.StringVar(&cfg.FirmwareDir, "firmware-dir", "", "directory of uploaded firmware images (default <data-dir>/firmware; share it between nodes of one PostgreSQL database)")
	f.Int64Var(&cfg.Firmware.MaxImageSize, "firmware-max-size", 1<<30, "largest firmware image an upload may be, in bytes")
	f.DurationVar(&cfg.CertExpiryWarning, "cert-expiry-warning", 30*24*time.Hour, "announce an issued certificate's expiry this long before (event and alarm)")
	return cmd
}

// printToken shows the generated admin token, once.
func printToken(cmd *cobra.Command, tok string) {
	line := strings.Repeat("=", 72)
	fmt.Fprintf(cmd.OutOrStdout(), "%s\nShoal generated the first admin API token. It is shown only this once:\n\n    %s\n\n"+
		"Keep it safe; use it as \"Authorization: Bearer <token>\" or with shoalctl --token.\n%s\n", line, tok, line)
}
