package app_test

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// nodeInteropDir is where lwm2m-node-lib is installed (.ci/run installs
// it). Missing, the test is skipped, unless SHOAL_REQUIRE_INTEROP=1 (CI),
// where it fails.
func nodeInteropDir(t *testing.T) (node, modules string) {
	t.Helper()
	need := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("SHOAL_REQUIRE_INTEROP") == "1" {
			t.Fatalf(format+" and SHOAL_REQUIRE_INTEROP=1", args...)
		}
		t.Skipf(format+"; set SHOAL_REQUIRE_INTEROP=1 to make this a failure", args...)
	}
	dir := os.Getenv("SHOAL_NODE_INTEROP_DIR")
	if dir == "" {
		need("SHOAL_NODE_INTEROP_DIR is unset (npm install --prefix DIR lwm2m-node-lib@1.4.0)")
	}
	modules = filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "lwm2m-node-lib", "package.json")); err != nil {
		need("lwm2m-node-lib is not installed under %s: %v", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		need("node not found: %v", err)
	}
	return node, modules
}

// nodeDevice is the lwm2m-node-lib client script running as a process.
type nodeDevice struct {
	cmd  *exec.Cmd
	done chan error

	mu    sync.Mutex
	lines []string
	seen  chan struct{} // closed and replaced at every line
}

func startNodeDevice(t *testing.T, node, modules, host string, port int, ep string) *nodeDevice {
	t.Helper()
	cmd := exec.Command(node, filepath.Join("testdata", "interop", "nodelib-client.js"), host, strconv.Itoa(port), ep, "200")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "NODE_NO_WARNINGS=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &nodeDevice{cmd: cmd, done: make(chan error, 1), seen: make(chan struct{})}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, sc.Text())
			close(d.seen)
			d.seen = make(chan struct{})
			d.mu.Unlock()
		}
	}()
	go func() { <-read; d.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("node client output:\n%s", strings.Join(d.output(), "\n"))
		}
	})
	return d
}

func (d *nodeDevice) output() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.lines...)
}

// waitLine waits for an output line containing s.
func (d *nodeDevice) waitLine(t *testing.T, s string) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		d.mu.Lock()
		for _, l := range d.lines {
			if strings.Contains(l, s) {
				d.mu.Unlock()
				return l
			}
		}
		seen := d.seen
		d.mu.Unlock()
		select {
		case <-seen:
		case <-deadline:
			t.Fatalf("the node client never logged %q", s)
		}
	}
}

// TestNodeLibInterop drives Shoal with an independent LwM2M client:
// Telefónica's lwm2m-node-lib 1.4.0 (node-coap), running
// testdata/interop/nodelib-client.js, over plain UDP as a NoSec device
// created through the REST API. Everything is checked through the REST
// API: registration, read, write and read-back, execute, discover, observe
// (telemetry on the SSE stream) and its cancellation, write-attributes, a
// registration update from a new port, and the de-registration when the
// process is told to stop. What the library cannot do (read an object
// instance: it knows no TLV, and its CoAP stack drops such requests
// unanswered) is asserted as Shoal's clear 504.
func TestNodeLibInterop(t *testing.T) {
	node, modules := nodeInteropDir(t)
	cfg := testConfig(t, storetest.SQLite().NewDSN(t))
	cfg.RequestTimeout = 2 * time.Second
	r := start(t, cfg)
	const ep = "nodelib-1"
	r.must(t, http.StatusCreated, http.MethodPost, "/profiles", map[string]any{"name": "nodelib", "spec": map[string]any{
		"telemetry": []map[string]string{{"path": "/3303/0/5700", "name": "temperature"}}}}, nil)
	r.must(t, http.StatusCreated, http.MethodPost, "/devices", map[string]any{"endpoint": ep, "profile": "nodelib",
		"credentials": map[string]any{"mode": "nosec"}}, nil)

	addr := r.a.CoAPAddr().(*net.UDPAddr)
	dev := startNodeDevice(t, node, modules, "127.0.0.1", addr.Port, ep)
	t.Log(dev.waitLine(t, "interop: registered"))
	d := r.waitStatus(t, ep, "online")
	if d.Registration == nil || d.Registration.Transport != "udp" {
		t.Fatalf("registration %+v", d.Registration)
	}
	// Shoal reads /3/0 at registration (the device info) in TLV; the
	// library drops it, and the request holds the device's one
	// outstanding exchange for RequestTimeout (2 s). The test's own
	// requests get more time than that, waiting included.
	base := "/devices/" + ep
	const patient = "?wait=8s&timeout=8s"

	// Read: single resources go as plain text to a 1.0 device that
	// announced no formats; the answer carries no Content-Format and is
	// typed by the object models.
	var res resultJSON
	r.must(t, http.StatusOK, http.MethodGet, base+"/lwm2m/3/0/0"+patient, nil, &res)
	if res.Code != "2.05" || res.Content.Value.Str() != "Telefonica" {
		t.Fatalf("read /3/0/0: %+v", res)
	}
	dev.waitLine(t, "interop: read /3/0/0 = Telefonica")
	r.must(t, http.StatusOK, http.MethodGet, base+"/lwm2m/3303/0/5701"+patient, nil, &res)
	if res.Code != "2.05" || res.Content.Value.Str() != "Cel" {
		t.Fatalf("read /3303/0/5701: %+v", res)
	}
	r.must(t, http.StatusOK, http.MethodGet, base+"/lwm2m/3303/0/5700"+patient, nil, &res)
	if res.Code != "2.05" || res.Content.Value.Type() != lwm2m.TypeFloat || res.Content.Value.Float() < 21.5 {
		t.Fatalf("read /3303/0/5700: %+v", res)
	}

	// Write a writable resource (Timezone) and read it back.
	r.must(t, http.StatusOK, http.MethodPut, base+"/lwm2m/3/0/15"+patient, "Europe/Oslo", &res)
	if res.Code != "2.04" {
		t.Fatalf("write /3/0/15: %+v", res)
	}
	dev.waitLine(t, "interop: write /3/0/15 = Europe/Oslo")
	r.must(t, http.StatusOK, http.MethodGet, base+"/lwm2m/3/0/15"+patient, nil, &res)
	if res.Content.Value.Str() != "Europe/Oslo" {
		t.Fatalf("read back /3/0/15: %+v", res)
	}

	// Execute Reboot: the script logs it.
	r.must(t, http.StatusOK, http.MethodPost, base+"/lwm2m/3/0/4"+patient, nil, &res)
	if res.Code != "2.04" {
		t.Fatalf("execute /3/0/4: %+v", res)
	}
	dev.waitLine(t, "interop: execute /3/0/4")

	// Discover: the library answers in link format.
	var disc struct {
		Code  string `json:"code"`
		Links []struct {
			Target string `json:"target"`
		} `json:"links"`
	}
	r.must(t, http.StatusOK, http.MethodGet, base+"/discover/3303/0"+patient, nil, &disc)
	var targets []string
	for _, l := range disc.Links {
		targets = append(targets, l.Target)
	}
	if disc.Code != "2.05" || !slices.Contains(targets, "/3303/0/5700") || !slices.Contains(targets, "/3303/0/5701") {
		t.Fatalf("discover /3303/0: %+v", disc)
	}

	// Observe the temperature: notifications become telemetry on the
	// stream, each a new value.
	live := r.stream(t, "device="+ep+"&type=telemetry")
	r.must(t, http.StatusOK, http.MethodPost, base+"/observe/3303/0/5700"+patient, nil, &res)
	if res.Code != "2.05" || res.Content.Value.Type() != lwm2m.TypeFloat {
		t.Fatalf("observe /3303/0/5700: %+v", res)
	}
	seen := map[float64]bool{}
	for len(seen) < 3 {
		live.next(t, "telemetry from a notification", func(m map[string]any) bool {
			data, _ := m["data"].(map[string]any)
			pts, _ := data["points"].([]any)
			for _, p := range pts {
				pm, _ := p.(map[string]any)
				v, _ := pm["value"].(map[string]any)
				if f, ok := v["value"].(float64); ok && pm["key"] == "temperature" && !seen[f] {
					seen[f] = true
					return true
				}
			}
			return false
		})
	}

	// Write-Attributes: the library stores them (and would take pmax in
	// milliseconds, so the test leaves the observed resource alone).
	r.must(t, http.StatusOK, http.MethodPut, base+"/attributes/3/0/15"+patient+"&pmin=10", nil, &res)
	if res.Code != "2.04" {
		t.Fatalf("write-attributes /3/0/15: %+v", res)
	}

	// Cancel the observation.
	r.must(t, http.StatusOK, http.MethodDelete, base+"/observe/3303/0/5700"+patient, nil, &res)
	if res.Code != "2.05" {
		t.Fatalf("cancel observation: %+v", res)
	}

	// A registration update comes from a new port, where the library
	// listens from then on: Shoal must follow the address.
	before := r.registrationAddr(t, ep)
	if err := dev.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	dev.waitLine(t, "interop: updated")
	waitFor(t, "the update's new address", func() bool { return r.registrationAddr(t, ep) != before })
	r.must(t, http.StatusOK, http.MethodGet, base+"/lwm2m/3/0/1"+patient, nil, &res)
	if res.Content.Value.Str() != "lwm2m-node-lib" {
		t.Fatalf("read /3/0/1 after the update: %+v", res)
	}

	// An object instance cannot be read: Shoal asks in TLV (the 1.0
	// default for an instance), which the library's CoAP stack drops
	// unanswered, so the caller gets Shoal's timeout problem.
	var problem map[string]any
	if code := r.call(t, http.MethodGet, base+"/lwm2m/3/0", nil, &problem); code != http.StatusGatewayTimeout ||
		problem["type"] != "urn:shoal:problem:device-timeout" {
		t.Fatalf("read /3/0: %d %v", code, problem)
	}

	// Stopping the process de-registers the device.
	if err := dev.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	dev.waitLine(t, "interop: deregistered")
	r.waitStatus(t, ep, "offline")
}

// registrationAddr is the address of ep's registration, as the REST API
// shows it.
func (r *running) registrationAddr(t *testing.T, ep string) string {
	t.Helper()
	var d struct {
		Registration *struct {
			Address string `json:"address"`
		} `json:"registration"`
	}
	r.must(t, http.StatusOK, http.MethodGet, "/devices/"+ep, nil, &d)
	if d.Registration == nil {
		t.Fatalf("%s has no registration", ep)
	}
	return d.Registration.Address
}
