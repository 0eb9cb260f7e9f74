package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/sim"
)

const pskKey = "000102030405060708090a0b0c0d0e0f"

// simFleet runs shoal-sim fleet and returns its JSON summary. While it runs,
// sample is called every second.
func (h *harness) simFleet(ctx context.Context, s *serverProc, args []string, sample func()) (sim.Summary, string, error) {
	var sum sim.Summary
	out := filepath.Join(h.dir, fmt.Sprintf("sim-%d.json", time.Now().UnixNano()))
	full := append([]string{"fleet", "--server", "coaps://" + s.coaps, "--psk-key", pskKey, "--provision",
		"--api", "http://" + s.http, "--progress", "-1s", "--summary", out}, args...)
	cmd := exec.CommandContext(ctx, h.bins.sim, full...)
	cmd.Env = append(os.Environ(), "SHOAL_TOKEN="+adminToken)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return sum, "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-t.C:
			if sample != nil {
				sample()
			}
		}
	}
	line := "shoal-sim " + strings.Join(full, " ")
	if err != nil {
		return sum, line, fmt.Errorf("shoal-sim: %v: %.400s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return sum, line, err
	}
	return sum, line, json.Unmarshal(b, &sum)
}

// 4: dtlsDevs shoal-sim devices (lwm2m/client over pion, connection ID
// offered) handshake and register as fast as the ramp allows, then each
// sends an Update every 50 ms for the run's length.
func (h *harness) dtls(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s)
	n := h.sz.dtlsDevs
	m := h.begin(ctx, s, sc, int(h.sz.dtlsFor.Seconds())+5)
	sum, line, err := h.simFleet(ctx, s, []string{"-n", fmt.Sprint(n), "--prefix", "dtls-", "--ramp", "5000/s",
		"--update-interval", "50ms", "--lifetime", "1h", "--duration", h.sz.dtlsFor.String()}, nil)
	sc.Commands = []string{h.serveCmd(s), line}
	if err != nil {
		return err
	}
	m.end(sc)
	sc.add("handshakes+registrations/s", sum.RegistrationsPerS, "/s").atLeast(2000, "≥ 2,000/s")
	sc.add("devices registered", float64(sum.EverRegistered), "devices").atLeast(float64(n), fmt.Sprint(n))
	sc.add("Updates/s over DTLS", sum.Rates.Updates, "/s").ratio(h.echo).atLeast(35000, "≥ 35,000/s")
	if l, ok := sum.Latency["register"]; ok {
		sc.add("Register (with handshake) p99", l.P99MS, "ms")
	}
	if l, ok := sum.Latency["update"]; ok {
		sc.add("Update p50", l.P50MS, "ms")
		sc.add("Update p99", l.P99MS, "ms")
	}
	sc.add("simulator CPU per device", sum.PerDevice.CPUms, "ms")
	sc.Notes = append(sc.Notes, "the load is shoal-sim (a full lwm2m/client per device over pion/dtls) on the same two cores: its own CPU bounds the offered rate")
	return nil
}
