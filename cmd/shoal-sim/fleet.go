package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/sim"
)

type fleetFlags struct {
	server, prefix, pskKey, version        string
	ramp, queue, changes, sends            string
	devices, sockets, firstIndex, firstAdr int
	lifetime, awake, updateEvery, simEvery time.Duration
	startJitter, duration, progress        time.Duration
	stopRate                               string
	reqTimeout                             time.Duration
	lifetimeJitter                         float64
	seed                                   uint64
	summary, logLevel, cpuProfile          string
	provision                              bool
	api, token, profile                    string
}

func newFleetCmd() *cobra.Command {
	var fl fleetFlags
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Run a fleet of simulated devices against a server (load generator)",
		Long: `Run N simulated devices in this process against one LwM2M server. They share a few
UDP sockets, each device sending from its own loopback address (127.0.1.1, 127.0.1.2, …),
so 100,000 devices fit in one process. A coap:// server means NoSec, coaps:// means
DTLS-PSK with --psk-key (each device's PSK identity is its endpoint name).
  shoal-sim fleet --server coaps://127.0.0.1:5684 -n 20000 --prefix dev- --psk-key 00112233 \
      --ramp 2000/s --queue-mode 30% --duration 10m --summary run.json
Progress goes to stderr; the JSON summary to stdout (or --summary). With --provision
the devices and their credentials are first created in Shoal through its REST API.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFleet(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.server, "server", "coap://127.0.0.1:5683", "server URI: coap:// (NoSec) or coaps:// (PSK)")
	f.IntVarP(&fl.devices, "devices", "n", 100, "number of devices")
	f.StringVar(&fl.prefix, "prefix", "sim-", "endpoint name prefix (names are prefix + zero-padded index)")
	f.IntVar(&fl.firstIndex, "first-index", 0, "index of the first device (to split a fleet over processes)")
	f.IntVar(&fl.firstAdr, "first-addr", 0, "index of the first device's loopback address (127.0.1.1 is 0)")
	f.StringVar(&fl.pskKey, "psk-key", "", "PSK key in hex for every device (coaps)")
	f.StringVar(&fl.version, "lwm2m-version", "1.1", "LwM2M version: 1.0 or 1.1")
	f.StringVar(&fl.ramp, "ramp", "500/s", "how fast devices start, e.g. 2000/s")
	f.DurationVar(&fl.startJitter, "start-jitter", 0, "random extra delay per device start, up to this")
	f.DurationVar(&fl.lifetime, "lifetime", 300*time.Second, "registration lifetime")
	f.Float64Var(&fl.lifetimeJitter, "lifetime-jitter", 0.1, "shorten each device's lifetime by a random fraction up to this, spreading updates")
	f.StringVar(&fl.queue, "queue-mode", "0%", "share of devices in queue mode, e.g. 30%")
	f.DurationVar(&fl.awake, "awake-time", 93*time.Second, "queue mode: how long a device stays awake after its last uplink")
	f.DurationVar(&fl.updateEvery, "update-interval", 0, "extra Registration Update per device this often (0: lifetime schedule only)")
	f.StringVar(&fl.changes, "changes", "0/s", "simulation steps per second over the fleet (observed values change and notify)")
	f.StringVar(&fl.sends, "sends", "0/s", "Send operations per second over the fleet (1.1)")
	f.DurationVar(&fl.simEvery, "sim-interval", 0, "let every device move its values on its own this often (0: only --changes)")
	f.DurationVar(&fl.duration, "duration", 0, "stop after this long (0: until SIGINT)")
	f.StringVar(&fl.stopRate, "stop-rate", "", "how fast devices deregister at the stop (default: the ramp; \"all\": at once)")
	f.IntVar(&fl.sockets, "sockets", 0, "shared UDP sockets, 1..64 (default: one per 2,500 devices, at least 2: a firmware pull needs a second socket)")
	f.DurationVar(&fl.reqTimeout, "request-timeout", 10*time.Second, "timeout of each uplink request")
	f.Uint64Var(&fl.seed, "seed", 1, "seed for device parameters and values")
	f.DurationVar(&fl.progress, "progress", 0, "progress line interval on stderr (default 1s on a terminal, 10s otherwise; negative: none)")
	f.StringVar(&fl.summary, "summary", "", "write the JSON summary to this file instead of stdout")
	f.BoolVar(&fl.provision, "provision", false, "create the devices and credentials in Shoal through the REST API first")
	f.StringVar(&fl.api, "api", "http://127.0.0.1:8080", "Shoal REST API for --provision")
	f.StringVar(&fl.token, "token", "", "API bearer token for --provision (default $SHOAL_TOKEN)")
	f.StringVar(&fl.profile, "profile", "", "profile to give provisioned devices")
	f.StringVar(&fl.logLevel, "log-level", "off", "log level on stderr: off, debug, info, warn, error")
	f.StringVar(&fl.cpuProfile, "cpu-profile", "", "write a CPU profile of the run to this file (go tool pprof)")
	return cmd
}

func (fl fleetFlags) config() (sim.Config, error) {
	cfg := sim.Config{
		ServerURI:      fl.server,
		Devices:        fl.devices,
		Prefix:         fl.prefix,
		FirstIndex:     fl.firstIndex,
		FirstAddr:      fl.firstAdr,
		Version:        fl.version,
		StartJitter:    fl.startJitter,
		Lifetime:       fl.lifetime,
		LifetimeJitter: fl.lifetimeJitter,
		AwakeTime:      fl.awake,
		UpdateInterval: fl.updateEvery,
		SimInterval:    fl.simEvery,
		Duration:       fl.duration,
		Sockets:        fl.sockets,
		RequestTimeout: fl.reqTimeout,
		Seed:           fl.seed,
		Models:         objects.New(),
		Codecs:         std.New(),
	}
	if fl.lifetimeJitter == 0 {
		cfg.LifetimeJitter = -1 // asked for none
	}
	var err error
	if cfg.PSKKey, err = parseKeyHex("psk-key", fl.pskKey); err != nil {
		return cfg, err
	}
	for _, r := range []struct {
		flag string
		in   string
		out  *float64
	}{{"ramp", fl.ramp, &cfg.Ramp}, {"changes", fl.changes, &cfg.ChangeRate}, {"sends", fl.sends, &cfg.SendRate}} {
		if *r.out, err = sim.ParseRate(r.in); err != nil {
			return cfg, fmt.Errorf("--%s: %w", r.flag, err)
		}
	}
	if cfg.Ramp == 0 {
		return cfg, fmt.Errorf("--ramp must be above zero")
	}
	switch fl.stopRate {
	case "":
	case "all":
		cfg.StopRate = -1
	default:
		if cfg.StopRate, err = sim.ParseRate(fl.stopRate); err != nil || cfg.StopRate == 0 {
			return cfg, fmt.Errorf("--stop-rate: %q is not a rate above zero or \"all\"", fl.stopRate)
		}
	}
	if cfg.QueueMode, err = sim.ParseFraction(fl.queue); err != nil {
		return cfg, fmt.Errorf("--queue-mode: %w", err)
	}
	return cfg, nil
}

func runFleet(cmd *cobra.Command, fl fleetFlags) error {
	cfg, err := fl.config()
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if cfg.Logger, err = newLogger(stderr, fl.logLevel); err != nil {
		return err
	}
	if fl.provision {
		token := fl.token
		if token == "" {
			token = os.Getenv("SHOAL_TOKEN")
		}
		p := &sim.APIProvisioner{BaseURL: fl.api, Token: token, Profile: fl.profile}
		cfg.Provision = func(ctx context.Context, devs []sim.Device) error {
			fmt.Fprintf(stderr, "provisioning %d devices through %s …\n", len(devs), fl.api)
			res, err := p.Provision(ctx, devs)
			if err == nil {
				fmt.Fprintf(stderr, "provisioned: %d created, %d already there\n", res.Created, res.Existing)
			}
			return err
		}
	}
	f, err := sim.New(cfg)
	if err != nil {
		return err
	}
	if fl.cpuProfile != "" {
		out, err := os.Create(fl.cpuProfile)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	done := make(chan struct{})
	tty := isTerminal(os.Stderr) && stderr == os.Stderr
	every := fl.progress
	if every == 0 {
		every = 10 * time.Second
		if tty {
			every = time.Second
		}
	}
	go func() {
		defer close(done)
		if every > 0 {
			showProgress(ctx, f, stderr, every, tty)
		}
	}()
	runErr := f.Run(ctx)
	cancel()
	<-done
	if runErr != nil {
		return runErr
	}
	sum, _ := f.Summary()
	return writeSummary(cmd.OutOrStdout(), fl.summary, sum)
}

// showProgress prints a progress line every interval until ctx ends; on a
// terminal the line is rewritten in place.
func showProgress(ctx context.Context, f *sim.Fleet, w io.Writer, every time.Duration, tty bool) {
	t := time.NewTicker(every)
	defer t.Stop()
	prev := f.Snapshot()
	for {
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(w)
			}
			return
		case <-t.C:
			cur := f.Snapshot()
			if tty {
				fmt.Fprintf(w, "\r\033[K%s", sim.Progress(prev, cur))
			} else {
				fmt.Fprintln(w, sim.Progress(prev, cur))
			}
			prev = cur
		}
	}
}

func writeSummary(stdout io.Writer, path string, sum sim.Summary) error {
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
