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
