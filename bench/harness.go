package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// harness runs the scenarios against one backend.
type harness struct {
	bins    binaries
	sz      sizes
	dir     string
	backend string
	pgDSN   string
	only    string
	quick   bool
	starts  int
	echo    float64   // the echo ceiling measured for this backend (requests/s)
	rest    *Scenario // scenario 5, taken during scenario 3
}

func (h *harness) wanted(id int) bool {
	if h.only == "" {
		return true
	}
	for _, s := range strings.Split(h.only, ",") {
		if strings.TrimSpace(s) == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

// all runs every scenario in order; one that fails is recorded as not run.
func (h *harness) all(ctx context.Context) []Scenario {
	type sc struct {
		id   int
		name string
		fn   func(context.Context, *Scenario) error
	}
	list := []sc{
		{1, "Register 50,000 devices (UDP), persisted", h.register},
		{2, "Registration-update storm, 1,000 devices", h.updateStorm},
		{3, "Notification storm, 10,000 observed devices", h.notifyStorm},
		{4, "DTLS-PSK handshakes and requests, 2,000 CID clients", h.dtls},
		{5, "REST read of an awake device at fixed rates", nil},
		{6, "Memory per registered device", h.memory},
		{7, "Firmware pull by 1,000 devices at once", h.firmware},
	}
	var out []Scenario
	for _, s := range list {
		if !h.wanted(s.id) || s.fn == nil || ctx.Err() != nil {
			continue
		}
		sc := Scenario{ID: s.id, Name: s.name, LoadAvg: loadAvg()[0]}
		logf("%s: scenario %d: %s", h.backend, s.id, s.name)
		t0 := time.Now()
		if err := s.fn(ctx, &sc); err != nil {
			sc.NotRun = err.Error()
			logf("  not run: %v", err)
		}
		sc.Seconds = time.Since(t0).Round(time.Second).Seconds()
		out = append(out, sc)
		if sc.ID == 3 && h.rest != nil { // scenario 5 runs on scenario 3's server and fleet
			out = append(out, *h.rest)
			h.rest = nil
		}
	}
	return out
}

// server starts shoal serve on a fresh database.
func (h *harness) server(ctx context.Context) (*serverProc, error) {
	h.starts++
	dir := filepath.Join(h.dir, fmt.Sprintf("run%d", h.starts))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dsn := ""
	if h.pgDSN != "" {
		var err error
		if dsn, err = freshSchema(ctx, h.pgDSN, h.starts); err != nil {
			return nil, err
		}
	}
	s, err := startServer(ctx, h.bins.shoal, dir, dsn)
	if err != nil {
		return nil, err
	}
	s.profiles = h.dir
	return s, nil
}

// done stops the server and records how long it took to exit after
// SIGTERM (label, when set, names the server within the scenario).
func (h *harness) done(ctx context.Context, s *serverProc, sc *Scenario, label string) {
	t0 := time.Now()
	err := s.stop()
	took := time.Since(t0)
	name := "server exit after SIGTERM"
	if label != "" {
		name = label + ": " + name
	}
	sc.add(name, took.Seconds(), "s")
	if err != nil {
		logf("  stop: %v", err)
		sc.Notes = append(sc.Notes, "stop: "+err.Error())
	} else {
		logf("  server stopped %v after SIGTERM", took.Round(10*time.Millisecond))
	}
	if h.pgDSN != "" {
		dropSchema(ctx, s.dsn)
	}
}

// serveCmd is the command line recorded for a scenario.
func (h *harness) serveCmd(s *serverProc) string {
	args := append([]string(nil), s.args...)
	for i, a := range args {
		if strings.HasPrefix(a, "postgres://") {
			args[i] = "'" + redact(a) + "'"
		} else if a == "" {
			args[i] = "''"
		}
	}
	return "shoal " + strings.Join(args, " ")
}

// api calls the REST API with the admin token.
func api(ctx context.Context, s *serverProc, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.http+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// measure brackets a scenario's measured part with CPU time and a profile.
type measure struct {
	s     *serverProc
	p     *profiler
	cpu0  procStat
	began time.Time
}

func (h *harness) begin(ctx context.Context, s *serverProc, sc *Scenario, secs int) *measure {
	return &measure{s: s, p: s.beginProfile(ctx, h.bins.shoal, fmt.Sprintf("%s-s%d", h.backend, sc.ID), secs),
		cpu0: s.proc(), began: time.Now()}
}

// end records the server's CPU seconds and RSS and the profile's top costs.
func (m *measure) end(sc *Scenario) (cpu time.Duration, rss int64) {
	p := m.s.proc()
	cpu = p.cpu - m.cpu0.cpu
	sc.add("server CPU over the measured part", cpu.Seconds(), "s")
	sc.add("server RSS after", float64(p.rss)/(1<<20), "MiB")
	costs, path, err := m.p.end()
	if err != nil {
		sc.Notes = append(sc.Notes, "profile: "+err.Error())
	}
	sc.Costs, sc.Profile = costs, filepath.Base(path)
	return cpu, p.rss
}
