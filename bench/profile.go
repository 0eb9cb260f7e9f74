package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Cost is one line of `go tool pprof -top`: a function and its share of
// the profile's samples (flat: in the function itself).
type Cost struct {
	Function string  `json:"function"`
	FlatPct  float64 `json:"flat_pct"`
	CumPct   float64 `json:"cum_pct"`
}

// profiler takes one CPU profile of the server over a scenario's measured
// part: begin starts a /debug/pprof/profile request of secs seconds, end
// waits for it and names the top costs.
type profiler struct {
	done chan error
	path string
	bin  string
}

func (s *serverProc) beginProfile(ctx context.Context, bin, name string, secs int) *profiler {
	p := &profiler{done: make(chan error, 1), path: filepath.Join(s.profiles, name+".pprof"), bin: bin}
	secs = max(secs, 1)
	go func() {
		url := "http://" + s.pprof + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Do(req)
		if err != nil {
			p.done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			p.done <- fmt.Errorf("pprof: %s", resp.Status)
			return
		}
		f, err := os.Create(p.path)
		if err != nil {
			p.done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		p.done <- err
	}()
	return p
}

// end waits for the profile and returns its top three functions by flat
// samples, and the profile file.
func (p *profiler) end() ([]Cost, string, error) {
	if p == nil {
		return nil, "", fmt.Errorf("no profile")
	}
	if err := <-p.done; err != nil {
		return nil, "", err
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=12", p.bin, p.path).Output()
	if err != nil {
		return nil, p.path, fmt.Errorf("go tool pprof: %w", err)
	}
	return topCosts(string(out), 3), p.path, nil
}

// topCosts reads `pprof -top` lines: flat flat% sum% cum cum% function.
func topCosts(out string, n int) []Cost {
	var cs []Cost
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[1], "%") || !strings.HasSuffix(f[4], "%") {
			continue
		}
		flat, err1 := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		cum, err2 := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err1 != nil || err2 != nil {
			continue
		}
		cs = append(cs, Cost{Function: strings.Join(f[5:], " "), FlatPct: flat, CumPct: cum})
		if len(cs) == n {
			break
		}
	}
	return cs
}
