package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/sim"
)

// TestServeStopsOnSIGTERMWithManyDevices: 3,000 simulated devices with a
// profile (observe and read on every registration) register in one burst,
// then 4,000 unknown devices that never answer anything register too, so
// thousands of profile requests wait out a 30 s request timeout (8 at a
// time) when SIGTERM arrives. The process exits by itself with status 0 —
// a stopping server fails held and queued requests at once, and their
// retries must not stall shutdown (they once did: 100,000 devices' retries
// went quadratic) — and every device and registration is in the database
// afterwards; a second start restores them and stops cleanly again. The
// only time limit is a hang guard far below what waiting out the
// requests would take.
func TestServeStopsOnSIGTERMWithManyDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary with thousands of devices")
	}
	const n, silent = 3000, 4000
	bin := buildShoal(t)
	dir := t.TempDir()
	dbPath := dir + "/shoal.db"
	p := serve(t, bin, dir, "--db", "sqlite://"+dbPath, "--pprof-addr", "127.0.0.1:0", "--allow-unknown-nosec", "--request-timeout", "30s")
	if code := p.call(t, http.MethodPost, "/profiles", map[string]any{"name": "term", "spec": map[string]any{
		"observe":   map[string]any{"strategy": "single", "targets": []map[string]any{{"path": "/3303/0/5700"}}},
		"telemetry": []map[string]string{{"path": "/3303/0/5700", "name": "t"}}}}, nil); code != http.StatusCreated {
		t.Fatalf("profile: %d", code)
	}
	prov := &sim.APIProvisioner{BaseURL: "http://" + p.http, Token: testToken, Profile: "term"}
	f, err := sim.New(sim.Config{ServerURI: "coap://" + p.coap, Devices: n, Prefix: "term-", Ramp: 20000,
		Lifetime: time.Hour, RequestTimeout: 2 * time.Second, StopRate: 1e6, Models: objects.New(), Codecs: std.New(),
		Provision: func(ctx context.Context, devs []sim.Device) error { _, err := prov.Provision(ctx, devs); return err }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fleetDone := make(chan error, 1)
	go func() { fleetDone <- f.Run(ctx) }()
	defer func() { cancel(); <-fleetDone }()
	for guard := time.Now().Add(3 * time.Minute); f.Snapshot().Registered < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(guard) {
			t.Fatalf("only %d of %d devices registered", f.Snapshot().Registered, n)
		}
	}
	silentDevices(t, p.coap, "silent-", silent)
	termAt := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		t.Logf("%d+%d devices: stopped %v after SIGTERM", n, silent, time.Since(termAt).Round(time.Millisecond))
	case <-time.After(2 * time.Minute): // a hang guard, not a speed assertion
		t.Fatalf("shoal serve still runs 2 minutes after SIGTERM; its goroutines:\n%s", goroutines(p.pprof))
	}
	if p.err != nil {
		t.Fatalf("shoal serve exited with %v after SIGTERM", p.err)
	}
	cancel() // the devices' deregistrations find no server; nothing is stored
	<-fleetDone
	fleetDone <- nil

	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"devices", "registrations"} {
		for prefix, want := range map[string]int{"term-": n, "silent-": silent} {
			var got int
			q := fmt.Sprintf("SELECT count(*) FROM %s WHERE endpoint LIKE '%s%%'", table, prefix)
			if err := db.QueryRow(q).Scan(&got); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if got != want {
				t.Errorf("%d %s* rows in %s after the SIGTERM, want %d", got, prefix, table, want)
			}
		}
	}
	// The data directory serves again with every registration restored.
	p2 := serve(t, bin, dir, "--db", "sqlite://"+dbPath)
	var dev struct {
		Online bool `json:"online"`
	}
	if code := p2.call(t, http.MethodGet, fmt.Sprintf("/devices/term-%d", n-1), nil, &dev); code != http.StatusOK {
		t.Fatalf("GET the last device after the restart: %d", code)
	}
	_ = p2.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p2.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the restarted shoal serve still runs 2 minutes after SIGTERM")
	}
	if p2.err != nil {
		t.Fatalf("the restarted shoal serve exited with %v", p2.err)
	}
}

// goroutines fetches the stacks of every goroutine from --pprof-addr.
func goroutines(addr string) string {
	if addr == "" {
		return "(no --pprof-addr)"
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return string(b)
}
