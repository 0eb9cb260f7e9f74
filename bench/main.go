// Command bench is Shoal's published benchmark (issue 10): one command that
// builds shoal and shoal-sim, starts the server on a fresh SQLite database
// (then on PostgreSQL when a DSN is given), runs the scenarios against it
// and against a raw-UDP CoAP echo responder (the machine's ceiling, driven
// by the same load generator), and writes docs/benchmarks.json and the
// generated section of docs/benchmarks.md.
//
//	go run ./bench                 # full run (SQLite; PostgreSQL with SHOAL_TEST_POSTGRES_DSN or --postgres)
//	go run ./bench --quick         # smaller fleets and shorter runs, a smoke test
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	quick     bool
	postgres  string
	repo      string
	jsonOut   string
	mdOut     string
	only      string
	keep      bool
	dtlsSizes string
}

// sizes are the scenario parameters of a full or a quick run.
type sizes struct {
	register    int
	updateDevs  int
	storm       time.Duration
	notifyDevs  int
	restRates   []int
	restFor     time.Duration
	dtlsDevs    int
	dtlsFor     time.Duration
	udpMemory   []int
	dtlsMemory  []int
	fwDevs      int
	fwImageSize int
}

func fullSizes() sizes {
	return sizes{register: 50000, updateDevs: 1000, storm: 30 * time.Second, notifyDevs: 10000,
		restRates: []int{500, 1000, 2000}, restFor: 10 * time.Second, dtlsDevs: 2000, dtlsFor: 30 * time.Second,
		udpMemory: []int{10000, 50000, 100000}, dtlsMemory: []int{10000}, fwDevs: 1000, fwImageSize: 256 << 10}
}

func quickSizes() sizes {
	return sizes{register: 2000, updateDevs: 200, storm: 3 * time.Second, notifyDevs: 500,
		restRates: []int{500}, restFor: 2 * time.Second, dtlsDevs: 100, dtlsFor: 5 * time.Second,
		udpMemory: []int{1000, 2000}, dtlsMemory: []int{200}, fwDevs: 20, fwImageSize: 16 << 10}
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "smaller fleets and shorter runs (smoke test)")
	flag.StringVar(&o.postgres, "postgres", os.Getenv("SHOAL_TEST_POSTGRES_DSN"), "PostgreSQL DSN (postgres://…) for the second backend; a fresh schema is made each run (default $SHOAL_TEST_POSTGRES_DSN)")
	flag.StringVar(&o.repo, "repo", ".", "repository root (where cmd/shoal is)")
	flag.StringVar(&o.jsonOut, "json", "docs/benchmarks.json", "JSON output (relative to --repo)")
	flag.StringVar(&o.mdOut, "md", "docs/benchmarks.md", "markdown file whose generated section is rewritten (relative to --repo; empty: none)")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario numbers to run (default: all)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, logs, profiles)")
	flag.StringVar(&o.dtlsSizes, "dtls-memory", "", "DTLS fleet sizes for scenario 6, e.g. 10000,50000 (default: 10000; quick: 200)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, strings.Join(os.Args, " ")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
}

func run(ctx context.Context, o options, command string) error {
	began := time.Now()
	sz := fullSizes()
	if o.quick {
		sz = quickSizes()
	}
	if o.dtlsSizes != "" {
		sz.dtlsMemory = nil
		for _, s := range strings.Split(o.dtlsSizes, ",") {
			var n int
			if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
				return fmt.Errorf("--dtls-memory: %q is not a device count", s)
			}
			sz.dtlsMemory = append(sz.dtlsMemory, n)
		}
	}
	repo, err := filepath.Abs(o.repo)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "shoal-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(tmp)
	} else {
		logf("keeping %s", tmp)
	}
	rep := Report{Date: began.UTC().Format(time.RFC3339), Commit: gitCommit(repo), Machine: readMachine(),
		Command: strings.Replace(command, os.Args[0], "go run ./bench", 1), Quick: o.quick}
	logf("building shoal and shoal-sim into %s", tmp)
	bins, err := build(ctx, repo, tmp)
	if err != nil {
		return err
	}
	backends := []string{""}
	if o.postgres != "" {
		backends = append(backends, o.postgres)
	}
	for i, dsn := range backends {
		name := "sqlite"
		if dsn != "" {
			name = "postgres"
		}
		h := &harness{bins: bins, sz: sz, dir: filepath.Join(tmp, name), backend: name, pgDSN: dsn, only: o.only, quick: o.quick}
		if err := os.MkdirAll(h.dir, 0o755); err != nil {
			return err
		}
		logf("backend %s", name)
		br := BackendRun{Backend: name}
		br.Scenarios = h.all(ctx)
		rep.Backends = append(rep.Backends, br)
		_ = i
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	rep.Machine.LoadAfter = loadAvg()
	rep.DurationS = time.Since(began).Round(time.Second).Seconds()
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(inRepo(repo, o.jsonOut), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if o.mdOut != "" {
		if err := writeMarkdown(inRepo(repo, o.mdOut), &rep); err != nil {
			return err
		}
	}
	logf("done in %v: %s, %s", time.Since(began).Round(time.Second), o.jsonOut, o.mdOut)
	return nil
}

// binaries are the built commands.
type binaries struct{ shoal, sim string }

// build compiles shoal and shoal-sim.
func build(ctx context.Context, repo, dir string) (binaries, error) {
	b := binaries{shoal: filepath.Join(dir, "shoal"), sim: filepath.Join(dir, "shoal-sim")}
	for _, c := range [][]string{
		{"go", "build", "-o", b.shoal, "./cmd/shoal"},
		{"go", "build", "-o", b.sim, "./cmd/shoal-sim"},
	} {
		cmd := exec.CommandContext(ctx, c[0], c[1:]...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	return b, nil
}

// inRepo resolves a relative output path against the repository root.
func inRepo(repo, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(repo, p)
}
