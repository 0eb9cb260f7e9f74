package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/sim"
)

type deviceFlags struct {
	endpoint, server, bootstrap, version string
	pskIdentity, pskKey                  string
	cert, key, serverCA                  string
	lifetime, awake, simInterval         time.Duration
	queue, cid, stay                     bool
	fwFail, localAddr, logLevel          string
	seed                                 uint64
}

func newDeviceCmd() *cobra.Command {
	var fl deviceFlags
	cmd := &cobra.Command{
		Use:   "device",
		Short: "Run one simulated device with an interactive prompt",
		Long: `Run one simulated LwM2M device (Security, Server, Device, Connectivity Monitoring,
Firmware Update, Location, Temperature) and a prompt on stdin: type help for the
commands (show the object tree and values, set a value, update, send, sleep, wake,
reboot, inject firmware failures, wait for events). A script can drive it:
  shoal-sim device --server coap://127.0.0.1:5683 < script.txt
The device deregisters when the input ends (unless --stay) or on SIGINT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDevice(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVarP(&fl.endpoint, "endpoint", "e", "shoal-sim-1", "endpoint name")
	f.StringVar(&fl.server, "server", "coap://127.0.0.1:5683", "management server URI: coap:// (NoSec) or coaps:// (PSK or certificate)")
	f.StringVar(&fl.bootstrap, "bootstrap", "", "bootstrap server URI: bootstrap first (the credentials then belong to it)")
	f.StringVar(&fl.pskIdentity, "psk-identity", "", "PSK identity for coaps (default: the endpoint name)")
	f.StringVar(&fl.pskKey, "psk-key", "", "PSK key in hex for coaps")
	f.StringVar(&fl.cert, "cert", "", "client certificate file (PEM or DER) for coaps")
	f.StringVar(&fl.key, "key", "", "client private key file (PEM or DER: PKCS#8, SEC 1 or PKCS#1)")
	f.StringVar(&fl.serverCA, "server-ca", "", "CA certificate that signed the server's certificate (default: accept any)")
	f.DurationVar(&fl.lifetime, "lifetime", 300*time.Second, "registration lifetime")
	f.BoolVar(&fl.queue, "queue-mode", false, "queue mode (binding UQ in 1.0, Q in 1.1): sleep when idle")
	f.DurationVar(&fl.awake, "awake-time", 93*time.Second, "queue mode: how long to stay awake after the last uplink")
	f.StringVar(&fl.version, "lwm2m-version", "1.1", "LwM2M version to register with: 1.0 or 1.1")
	f.BoolVar(&fl.cid, "cid", true, "ask DTLS for a connection ID")
	f.DurationVar(&fl.simInterval, "sim-interval", 10*time.Second, "how often simulated values move (0 freezes them)")
	f.StringVar(&fl.fwFail, "fw-fail", "none", "firmware failure to inject: none, integrity, out-of-memory, connection-lost, update-failed")
	f.StringVar(&fl.localAddr, "local-addr", "", "local IP to send from, e.g. 127.0.0.9")
	f.Uint64Var(&fl.seed, "seed", 0, "seed for the simulated values")
	f.BoolVar(&fl.stay, "stay", false, "keep running after the input ends, until SIGINT")
	f.StringVar(&fl.logLevel, "log-level", "off", "log level on stderr: off, debug, info, warn, error")
	return cmd
}

func runDevice(cmd *cobra.Command, fl deviceFlags) error {
	key, err := parseKeyHex("psk-key", fl.pskKey)
	if err != nil {
		return err
	}
	log, err := newLogger(cmd.ErrOrStderr(), fl.logLevel)
	if err != nil {
		return err
	}
	cfg := client.Config{
		Endpoint:     fl.endpoint,
		ServerURI:    fl.server,
		BootstrapURI: fl.bootstrap,
		Lifetime:     fl.lifetime,
		Version:      fl.version,
		QueueMode:    fl.queue,
		AwakeTime:    fl.awake,
		ConnectionID: fl.cid,
		SimInterval:  fl.simInterval,
		Seed:         fl.seed,
		Models:       objects.New(),
		Codecs:       std.New(),
		Logger:       log,
		LocalAddr:    fl.localAddr,
	}
	if cfg.SimInterval == 0 {
		cfg.SimInterval = -1
	}
	if key != nil {
		cfg.PSKIdentity, cfg.PSKKey = fl.pskIdentity, key
		if cfg.PSKIdentity == "" {
			cfg.PSKIdentity = fl.endpoint
		}
	}
	if cfg.CertDER, err = readDER(fl.cert); err != nil {
		return fmt.Errorf("--cert: %w", err)
	}
	if cfg.KeyDER, err = readDER(fl.key); err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	if cfg.ServerCADER, err = readDER(fl.serverCA); err != nil {
		return fmt.Errorf("--server-ca: %w", err)
	}
	if cfg.Firmware.Failure, err = sim.ParseFirmwareFailure(fl.fwFail); err != nil {
		return fmt.Errorf("--fw-fail: %w", err)
	}
	secure := strings.HasPrefix(fl.server, "coaps:") || strings.HasPrefix(fl.bootstrap, "coaps:")
	if secure && key == nil && cfg.CertDER == nil {
		return fmt.Errorf("a coaps server needs --psk-key or --cert/--key")
	}
	con := sim.NewConsole(cmd.OutOrStdout(), cfg.Models)
	if isTerminal(os.Stdin) && cmd.InOrStdin() == os.Stdin {
		con.Prompt = "> "
	}
	cfg.Events = con.Events()
	cfg.Dialer = &client.CoAPDialer{}
	if log != nil {
		cfg.Dialer = &client.CoAPDialer{Logger: *log}
	}
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()
	if err := con.Run(ctx, c, cmd.InOrStdin()); err != nil {
		return err
	}
	if fl.stay {
		<-ctx.Done()
	}
	cancel()
	return <-ran
}
