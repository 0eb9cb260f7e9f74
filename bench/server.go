package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// adminToken is the first admin token the harness gives every server it
// starts (SHOAL_ADMIN_TOKEN).
const adminToken = "bench-admin-0123456789abcdef0123456789abcdef"

// serverProc is one `shoal serve` subprocess on loopback ports.
type serverProc struct {
	cmd      *exec.Cmd
	args     []string
	coap     string
	coaps    string
	http     string
	pprof    string
	dsn      string
	dataDir  string
	exited   chan error
	logPath  string
	profiles string // directory for CPU profiles
}

// freePort returns a loopback address with a port free at the moment.
func freePort(network string) (string, error) {
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.LocalAddr().String(), nil
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServer starts shoal serve with a fresh data directory and database
// and waits until its API answers.
func startServer(ctx context.Context, bin, dir, dsn string) (*serverProc, error) {
	s := &serverProc{dataDir: filepath.Join(dir, "data"), dsn: dsn, exited: make(chan error, 1)}
	var err error
	for _, p := range []struct {
		to  *string
		net string
	}{{&s.coap, "udp"}, {&s.coaps, "udp"}, {&s.http, "tcp"}, {&s.pprof, "tcp"}} {
		if *p.to, err = freePort(p.net); err != nil {
			return nil, err
		}
	}
	if dsn == "" {
		s.dsn = "sqlite://" + filepath.Join(s.dataDir, "shoal.db")
	}
	s.args = []string{"serve", "--data-dir", s.dataDir, "--db", s.dsn,
		"--coap-addr", s.coap, "--coaps-addr", s.coaps, "--http-addr", s.http,
		"--bootstrap-coap-addr", "", "--bootstrap-coaps-addr", "",
		"--allow-nosec", "--allow-unknown-nosec", "--log-level", "warn", "--pprof-addr", s.pprof}
	s.logPath = filepath.Join(dir, "server.log")
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, s.args...)
	s.cmd.Env = append(os.Environ(), "SHOAL_ADMIN_TOKEN="+adminToken)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.exited <- s.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.http+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.exited:
			return nil, fmt.Errorf("shoal serve exited at start (%v); log: %s", err, tail(s.logPath))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("shoal serve did not answer /healthz within 60 s; log: %s", tail(s.logPath))
		}
	}
}

// stop sends SIGTERM and waits for the exit. A server still running after
// 10 s has its goroutines written next to its log (from --pprof-addr) and
// is killed after 30 s.
func (s *serverProc) stop() error {
	began := time.Now()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
		return err
	case <-time.After(10 * time.Second):
	}
	dump := filepath.Join(filepath.Dir(s.logPath), "goroutines-at-stop.txt")
	if err := s.saveGoroutines(dump); err != nil {
		dump = "none: " + err.Error()
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		return fmt.Errorf("shoal serve took %v to stop after SIGTERM (goroutines at 10 s: %s); exit: %v",
			time.Since(began).Round(100*time.Millisecond), dump, err)
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.exited
		s.exited <- err
		return fmt.Errorf("shoal serve did not stop within 30 s of SIGTERM; killed (goroutines: %s)", dump)
	}
}

// saveGoroutines writes the server's goroutine stacks to path.
func (s *serverProc) saveGoroutines(path string) error {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + s.pprof + "/debug/pprof/goroutine?debug=2")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}

// procStat is a process's CPU time (user+system) and resident size.
type procStat struct {
	cpu time.Duration
	rss int64
}

// readProc reads /proc/PID/stat (utime, stime in clock ticks; fields 14
// and 15) and VmRSS from /proc/PID/status.
func readProc(pid int) (procStat, error) {
	var ps procStat
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ps, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ps, fmt.Errorf("/proc/%d/stat: no ')' after the command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return ps, fmt.Errorf("/proc/%d/stat: %d fields after the name, want at least 13", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return ps, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	const hz = 100 // USER_HZ on Linux
	ps.cpu = time.Duration(ut+st) * time.Second / hz
	b, err = os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			ps.rss = kb << 10
		}
	}
	return ps, nil
}

func (s *serverProc) proc() procStat {
	ps, _ := readProc(s.cmd.Process.Pid)
	return ps
}
