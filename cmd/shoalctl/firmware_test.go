package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	shoal "github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// newFwAppEnv runs the whole of Shoal on loopback with a firmware
// scheduler that looks every 20 ms.
func newFwAppEnv(t *testing.T) (*env, *shoal.App) {
	t.Helper()
	cfg := shoal.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.PublicHost, cfg.AllowNoSec = "127.0.0.1", true
	cfg.AdminToken, cfg.LogOutput, cfg.LogLevel = testToken, io.Discard, "error"
	cfg.Firmware = dm.FirmwareConfig{Interval: 20 * time.Millisecond, PollInterval: 500 * time.Millisecond}
	a, err := shoal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-a.Ready()
	return &env{t: t, url: "http://" + a.HTTPAddr().String(), home: t.TempDir()}, a
}

// fwDevice runs a nosec device over CoAP that takes firmware by push or
// pull and reports newVersion once updated.
func fwDevice(t *testing.T, e *env, a *shoal.App, ep, newVersion string) {
	t.Helper()
	e.ctl("devices", "create", ep, "--mode", "nosec").ok(t)
	cfg := client.Config{Endpoint: ep, ServerURI: "coap://" + a.CoAPAddr().String(), RebootDelay: 50 * time.Millisecond,
		Models: objects.New(), Codecs: std.New(), Dialer: &client.CoAPDialer{}, SimInterval: -1, RetryDelay: 100 * time.Millisecond,
		RequestTimeout: 3 * time.Second}
	cfg.Firmware.NewVersion = newVersion
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(lwm2m.MustPath("/5/0/9"), lwm2m.IntValue(2)); err != nil { // pull and push
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, ep+" online", func() bool {
		d, err := a.Service().GetDevice(context.Background(), dm.System(), ep)
		return err == nil && d.Status == "online"
	})
}

// TestFirmwareCommands: upload (progress lines on a non-terminal stderr,
// a wrong digest refused), list, show, download checked byte for byte,
// delete refused while a campaign uses the image; bad input exits 2 with
// one line.
func TestFirmwareCommands(t *testing.T) {
	e, _ := newFwAppEnv(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "fw.bin")
	data := bytes.Repeat([]byte("shoal firmware "), 70000) // ~1 MiB
	if err := os.WriteFile(img, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)

	e.ctl("firmware", "upload", img).fails(t, exitUsage, "--version is required")
	e.ctl("firmware", "upload", filepath.Join(dir, "missing.bin"), "--version", "1").fails(t, exitUsage, "missing.bin")
	e.ctl("firmware", "upload", img, "--version", "1", "--sha256", "xyz").fails(t, exitUsage, "64 hex digits")
	// The refusal comes after the bytes went (and their progress lines).
	r := e.ctl("firmware", "upload", img, "--version", "1", "--sha256", strings.Repeat("0", 64))
	if errLines := strings.Split(strings.TrimSpace(r.err), "\n"); r.code != exitError ||
		!strings.HasPrefix(errLines[len(errLines)-1], "shoalctl: Invalid input: sha256:") || !strings.Contains(r.err, "nothing was stored") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.err)
	}
	if r := e.ctl("firmware", "list").ok(t); strings.Count(strings.TrimSpace(r.out), "\n") != 0 {
		t.Fatalf("images after a refused upload:\n%s", r.out)
	}

	r = e.ctl("firmware", "upload", img, "--version", "2.0.0", "--name", "meter", "--model", "M-1", "--model", "M-2",
		"--notes", "faster", "--sha256", hex.EncodeToString(sum[:])).ok(t)
	if !row(r.out, "SHA256:", hex.EncodeToString(sum[:])) || !row(r.out, "VERSION:", "2.0.0") || !row(r.out, "SIZE:", fmt.Sprint(len(data))) {
		t.Fatalf("upload:\n%s", r.out)
	}
	// stderr is no terminal: a plain line per tenth, ending at 100 %.
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "uploading fw.bin: 0%") || !strings.HasPrefix(lines[10], "uploading fw.bin: 100%") {
		t.Fatalf("progress:\n%s", r.err)
	}
	if r = e.ctl("firmware", "list").ok(t); !row(r.out, "1", "meter", "2.0.0", fmt.Sprint(len(data)), hex.EncodeToString(sum[:]), `["M-1","M-2"]`) {
		t.Fatalf("list:\n%s", r.out)
	}
	if r = e.ctl("firmware", "show", "1").ok(t); !row(r.out, "NOTES:", "faster") {
		t.Fatalf("show:\n%s", r.out)
	}
	out := filepath.Join(dir, "back.bin")
	e.ctl("firmware", "download", "1", "-O", out).ok(t)
	if b, _ := os.ReadFile(out); !bytes.Equal(b, data) {
		t.Fatalf("download wrote %d bytes, want the %d uploaded", len(b), len(data))
	}
	if r = e.ctl("firmware", "download", "1").ok(t); r.out != string(data) {
		t.Fatalf("download to stdout: %d bytes", len(r.out))
	}
	e.ctl("firmware", "show", "x").fails(t, exitUsage, "positive number")
	e.ctl("firmware", "show", "99").fails(t, exitError, "99")

	e.ctl("devices", "create", "idle-1").ok(t)
	e.ctl("campaign", "create", "hold", "--image", "1", "--endpoints", "idle-1", "--draft").ok(t)
	e.ctl("firmware", "delete", "1").fails(t, exitError, "uses it")
	e.ctl("campaign", "delete", "1").ok(t)
	if r = e.ctl("firmware", "delete", "1").ok(t); !strings.Contains(r.out, "deleted firmware image 1") {
		t.Fatalf("delete: %s", r.out)
	}
	e.ctl("firmware", "download", "1", "-O", out).fails(t, exitError, "1")
}

// TestCampaignCommands: a campaign over two simulated devices is created
// as a draft, shown, started and followed with status --watch (one line
// per change, ending completed) until both devices report the new
// version; its devices are listed by state; pause/resume/cancel answer
// the state machine's refusals in one line.
func TestCampaignCommands(t *testing.T) {
	e, a := newFwAppEnv(t)
	img := filepath.Join(t.TempDir(), "fw.bin")
	if err := os.WriteFile(img, bytes.Repeat([]byte{0xA5, 0x5A}, 3000), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ctl("firmware", "upload", img, "--version", "3.0.0").ok(t)
	fwDevice(t, e, a, "ctl-fw-1", "3.0.0")
	fwDevice(t, e, a, "ctl-fw-2", "3.0.0")

	e.ctl("campaign", "create", "--endpoints", "ctl-fw-1").fails(t, exitUsage, "--image is required")
	e.ctl("campaign", "create", "--image", "1").fails(t, exitUsage, "select devices")
	e.ctl("campaign", "create", "--image", "1", "--ids", "1", "--method", "ftp").fails(t, exitUsage, "pull or push")
	e.ctl("campaign", "create", "--image", "1", "--ids", "1", "--start-after", "soon").fails(t, exitUsage, "--start-after")
	e.ctl("campaign", "create", "--image", "1", "--endpoints", "nobody").fails(t, exitError, "matches no devices")

	r := e.ctl("campaign", "create", "spring", "--image", "1", "--endpoints", "ctl-fw-1,ctl-fw-2", "--concurrency", "1",
		"--method", "push", "--waves", "1", "--failure-threshold", "1", "--draft").ok(t)
	if !row(r.out, "STATE:", "draft") || !row(r.out, "PENDING:", "2") || !row(r.out, "WAVES:", "1", "(under", "way:", "0)") {
		t.Fatalf("create:\n%s", r.out)
	}
	e.ctl("campaign", "pause", "1").fails(t, exitError, "cannot pause")
	if r = e.ctl("campaign", "list").ok(t); !row(r.out, "1", "spring", "draft", "1", "3.0.0", "0/2", "0", "0%") {
		t.Fatalf("list:\n%s", r.out)
	}
	e.ctl("campaign", "start", "1").ok(t)
	r = e.ctl("campaign", "status", "1", "--watch", "--interval", "20ms").ok(t)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "completed") || !strings.Contains(last, "100%") || !strings.Contains(last, "succeeded 2") {
		t.Fatalf("watch:\n%s", r.out)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i][9:] == lines[i-1][9:] {
			t.Errorf("watch printed an unchanged line twice:\n%s", r.out)
		}
	}
	if r = e.ctl("campaign", "devices", "1", "--state", "succeeded").ok(t); !row(r.out, "ctl-fw-1", "succeeded", "push") || !row(r.out, "ctl-fw-2", "succeeded", "push") {
		t.Fatalf("devices:\n%s", r.out)
	}
	if r = e.ctl("campaign", "devices", "1", "--state", "failed").ok(t); strings.Contains(r.out, "ctl-fw") {
		t.Fatalf("failed devices:\n%s", r.out)
	}
	e.ctl("campaign", "devices", "1", "--state", "broken").fails(t, exitUsage, "--state")
	if r = e.ctl("campaign", "status", "1").ok(t); !row(r.out, "SUCCEEDED:", "2") || !row(r.out, "STATE:", "completed") {
		t.Fatalf("status:\n%s", r.out)
	}
	e.ctl("campaign", "resume", "1").fails(t, exitError, "completed")

	// A second campaign: paused, resumed, cancelled, deleted.
	e.ctl("campaign", "create", "again", "--image", "1", "--endpoints", "ctl-fw-1", "--start-after", "48h").ok(t)
	if r = e.ctl("campaign", "pause", "2").ok(t); !row(r.out, "STATE:", "paused") {
		t.Fatalf("pause:\n%s", r.out)
	}
	e.ctl("campaign", "delete", "2").fails(t, exitError, "cancel it first")
	e.ctl("campaign", "resume", "2").ok(t)
	if r = e.ctl("campaign", "cancel", "2").ok(t); !row(r.out, "STATE:", "cancelled") || !row(r.out, "CANCELLED:", "1") {
		t.Fatalf("cancel:\n%s", r.out)
	}
	r = e.ctl("campaign", "status", "2", "--watch", "-o", "json").ok(t)
	if strings.Count(strings.TrimSpace(r.out), "\n") != 0 || !strings.Contains(r.out, `"state":"cancelled"`) {
		t.Fatalf("watch -o json of a finished campaign:\n%s", r.out)
	}
	e.ctl("campaign", "delete", "2").ok(t)
	e.ctl("campaign", "status", "2").fails(t, exitError, "2")
}
