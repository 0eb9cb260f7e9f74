package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

const testToken = "test-admin-token-0123456789"

// buildShoal builds this command into a temporary directory.
func buildShoal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shoal")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a running `shoal serve`.
type proc struct {
	cmd        *exec.Cmd
	coap, http string
	pprof      string // --pprof-addr's bound address, when given
	stdout     bytes.Buffer
	done       chan struct{} // closed once the process was reaped
	err        error
}

// serve starts `shoal serve` on loopback ports and waits until it serves.
func serve(t *testing.T, bin, dataDir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--data-dir", dataDir, "--coap-addr", "127.0.0.1:0", "--coaps-addr", "127.0.0.1:0",
		"--http-addr", "127.0.0.1:0", "--bootstrap-coap-addr", "127.0.0.1:0", "--bootstrap-coaps-addr", "127.0.0.1:0",
		"--allow-nosec", "--log-level", "info"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SHOAL_ADMIN_TOKEN="+testToken)
	p := &proc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			var line struct {
				Message string `json:"message"`
				CoAP    string `json:"coap"`
				HTTP    string `json:"http"`
			}
			if a, ok := strings.CutPrefix(sc.Text(), "shoal: pprof on http://"); ok {
				p.pprof = strings.TrimSuffix(a, "/debug/pprof/")
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "shoal: serving" {
				p.coap, p.http = line.CoAP, line.HTTP
				once.Do(func() { close(ready) })
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("shoal serve exited at start: %v", p.err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("shoal serve never said it serves")
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) call(t *testing.T, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+p.http+"/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

// points returns the values of the device's "t" series.
func (p *proc) points(t *testing.T, ep string) map[float64]bool {
	t.Helper()
	var tel struct {
		Series []struct {
			Points []struct{ Value float64 }
		}
	}
	if code := p.call(t, http.MethodGet, "/devices/"+ep+"/telemetry?keys=t&limit=100000", nil, &tel); code != http.StatusOK {
		t.Fatalf("telemetry: %d", code)
	}
	out := map[float64]bool{}
	for _, s := range tel.Series {
		for _, pt := range s.Points {
			out[pt.Value] = true
		}
	}
	return out
}

// TestServeSurvivesSIGKILL loads telemetry and queued commands into a real
// `shoal serve`, kills it with SIGKILL mid-load, restarts it on the same
// data directory, and finds everything it had acknowledged: every point
// its API had shown, every command it had answered 202 for still queued,
// and the registration.
func TestServeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildShoal(t)
	dir := t.TempDir()
	p := serve(t, bin, dir)
	if p.stdout.Len() != 0 {
		t.Fatalf("printed a token although SHOAL_ADMIN_TOKEN was set: %q", p.stdout.String())
	}
	if code := p.call(t, http.MethodPost, "/profiles", map[string]any{"name": "load", "spec": map[string]any{
		"telemetry": []map[string]string{{"path": "/3303/0/5700", "name": "t"}}}}, nil); code != http.StatusCreated {
		t.Fatalf("profile: %d", code)
	}
	for _, d := range []map[string]any{
		{"endpoint": "load-1", "profile": "load", "credentials": map[string]any{"mode": "nosec"}},
		{"endpoint": "absent", "credentials": map[string]any{"mode": "nosec"}},
	} {
		if code := p.call(t, http.MethodPost, "/devices", d, nil); code != http.StatusCreated {
			t.Fatalf("create %v: %d", d["endpoint"], code)
		}
	}
	c, err := client.New(client.Config{Endpoint: "load-1", ServerURI: "coap://" + p.coap, Models: objects.New(), Codecs: std.New(),
		Dialer: &client.CoAPDialer{}, SimInterval: -1, RetryDelay: 100 * time.Millisecond, RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clientDone := make(chan struct{})
	go func() { c.Run(ctx); close(clientDone) }()
	defer func() { cancel(); <-clientDone }()
	deadline := time.Now().Add(20 * time.Second)
	for !c.Status().Registered {
		if time.Now().After(deadline) {
			t.Fatal("device never registered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Load: the device Sends a new value as fast as it is acknowledged.
	var sent sync.WaitGroup
	sent.Go(func() {
		for i := 1; ctx.Err() == nil; i++ {
			c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(float64(i)))
			if c.SendNow(ctx, lwm2m.MustPath("/3303/0/5700")) != nil {
				return
			}
		}
	})
	var seen map[float64]bool
	for deadline := time.Now().Add(20 * time.Second); len(seen) < 200; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d points stored", len(seen))
		}
		seen = p.points(t, "load-1")
	}
	var queued []int64
	for i := range 20 {
		var cmd struct {
			ID    int64
			State string
		}
		if code := p.call(t, http.MethodPost, "/devices/absent/commands", map[string]any{"op": "read", "path": fmt.Sprintf("/3/0/%d", i%5)}, &cmd); code != http.StatusAccepted {
			t.Fatalf("queue a command: %d", code)
		}
		queued = append(queued, cmd.ID)
	}
	seen = p.points(t, "load-1") // the last thing Shoal acknowledged before the kill
	// Registrations are written behind (the server batches them every
	// PersistInterval, dm coalesces them): what must survive is the
	// registration once stored, so wait until the file has it.
	waitRegistrationStored(t, dir+"/shoal.db", "load-1")
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	cancel()
	sent.Wait()

	p2 := serve(t, bin, dir)
	after := p2.points(t, "load-1")
	for v := range seen {
		if !after[v] {
			t.Fatalf("point %v was shown before the kill and is gone after (%d before, %d after)", v, len(seen), len(after))
		}
	}
	for _, id := range queued {
		var cmd struct{ State string }
		if code := p2.call(t, http.MethodGet, fmt.Sprintf("/commands/%d", id), nil, &cmd); code != http.StatusOK || cmd.State != "pending" {
			t.Fatalf("command %d after the restart: %d %s", id, code, cmd.State)
		}
	}
	var dev struct {
		Registration *struct{ ID string } `json:"registration"`
	}
	p2.call(t, http.MethodGet, "/devices/load-1", nil, &dev)
	if dev.Registration == nil {
		t.Fatal("the registration did not survive the restart")
	}
	t.Logf("%d points acknowledged before SIGKILL, %d stored after; %d queued commands kept", len(seen), len(after), len(queued))
}

// waitRegistrationStored waits until the SQLite file at path holds a
// registration of endpoint.
func waitRegistrationStored(t *testing.T, path, endpoint string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM registrations WHERE endpoint = ?", endpoint).Scan(&n); err == nil && n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the registration of %s was never stored", endpoint)
		}
	}
}
