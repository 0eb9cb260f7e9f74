package main

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	shoal "github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// newAppEnv runs the whole of Shoal (app.App on SQLite, bootstrap server
// on) on loopback ports for the bootstrap, credentials and ca commands.
func newAppEnv(t *testing.T) (*env, *shoal.App) {
	t.Helper()
	cfg := shoal.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.BootstrapCoAPAddr, cfg.BootstrapCoAPSAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.AdminToken, cfg.LogOutput, cfg.LogLevel = testToken, io.Discard, "error"
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

// TestBootstrapCredentialsAndCACommands walks shoalctl ca, bootstrap and
// credentials against a real server: the CA is created and downloaded, a
// device with only a factory key (shown once) bootstraps, its credentials
// show without secrets, a server-initiated bootstrap and a rotation give it
// new keys, a revocation withdraws one; accounts and factory credentials
// are listed and revoked.
func TestBootstrapCredentialsAndCACommands(t *testing.T) {
	e, a := newAppEnv(t)
	e.ctl("ca", "cert").fails(t, exitError, "run shoal ca init")
	r := e.ctl("ca", "init", "--cn", "Ctl CA").ok(t)
	if !row(r.out, "SUBJECT:", "Ctl", "CA") {
		t.Fatalf("ca init:\n%s", r.out)
	}
	if !strings.Contains(r.err, "restart shoal serve") {
		t.Fatalf("ca init does not say the server must restart before x509 devices can register:\n%s", r.err)
	}
	e.ctl("ca", "init").fails(t, exitError, "already exists")
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	e.ctl("ca", "cert", "-O", pemFile).ok(t)
	if b, _ := os.ReadFile(pemFile); !strings.HasPrefix(string(b), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("ca cert wrote %q", b)
	}
	if blk, _ := pem.Decode([]byte(e.ctl("ca", "cert").ok(t).out)); blk == nil {
		t.Fatal("ca cert printed no PEM")
	}

	e.ctl("bootstrap", "configs", "create", "bad", "--default", "--server", "0").fails(t, exitError, "short_server_id")
	r = e.ctl("bootstrap", "configs", "create", "default", "--default", "--security", "psk", "--server", "1", "--lifetime", "120s").ok(t)
	if !row(r.out, "SCOPE:", "default") {
		t.Fatalf("config create:\n%s", r.out)
	}
	if r = e.ctl("bootstrap", "configs", "list").ok(t); !row(r.out, "1", "default", "default", "psk") {
		t.Fatalf("configs list:\n%s", r.out)
	}
	e.ctl("devices", "create", "ctl-dev").ok(t)
	var created struct {
		Credential struct {
			PSKIdentity string `json:"psk_identity"`
		} `json:"credential"`
		PSKKey string `json:"psk_key"`
	}
	mustUnmarshal(t, e.ctl("bootstrap", "factory", "create", "--device", "ctl-dev", "-o", "json").ok(t).out, &created)
	key, err := hex.DecodeString(created.PSKKey)
	if err != nil || len(key) == 0 {
		t.Fatalf("factory key %q", created.PSKKey)
	}
	if r = e.ctl("bootstrap", "factory", "list").ok(t); strings.Contains(r.out, created.PSKKey) || !row(r.out, "1", "psk") {
		t.Fatalf("factory list:\n%s", r.out)
	}
	c, err := client.New(client.Config{Endpoint: "ctl-dev", BootstrapURI: "coaps://" + a.BootstrapCoAPSAddr().String(),
		PSKIdentity: created.Credential.PSKIdentity, PSKKey: key, Models: objects.New(), Codecs: std.New(),
		Dialer: &client.CoAPDialer{}, SimInterval: -1, RetryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	activeRows := func() []string {
		var rows []string
		for _, l := range strings.Split(e.ctl("credentials", "show", "ctl-dev").ok(t).out, "\n") {
			if f := strings.Fields(l); len(f) > 3 && f[2] == "active" {
				rows = append(rows, l)
			}
		}
		return rows
	}
	waitFor(t, "the bootstrapped key in use", func() bool {
		rs := activeRows()
		return len(rs) == 1 && strings.Contains(rs[0], "bootstrap") && strings.Contains(rs[0], "ctl-dev#")
	})
	first := activeRows()[0]
	if r = e.ctl("bootstrap", "sessions", "--device", "ctl-dev").ok(t); !row(r.out, "ctl-dev", "finished", "done") {
		t.Fatalf("sessions:\n%s", r.out)
	}
	// Server-initiated bootstrap: the device is given fresh credentials.
	e.ctl("bootstrap", "trigger", "ctl-dev").ok(t)
	waitFor(t, "new keys after the triggered bootstrap", func() bool {
		rs := activeRows()
		return len(rs) == 1 && rs[0] != first
	})
	r = e.ctl("credentials", "rotate", "ctl-dev").ok(t)
	if !row(r.out, "STATE:", "pending") || !strings.Contains(r.out, "re-bootstrapping") {
		t.Fatalf("rotate:\n%s", r.out)
	}
	var rotated string
	for _, l := range strings.Split(r.out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "ID:" {
			rotated = f[1]
		}
	}
	waitFor(t, "the rotated key in use", func() bool {
		rs := activeRows()
		return len(rs) == 1 && strings.Fields(rs[0])[0] == rotated && strings.Contains(rs[0], "rotation")
	})
	r = e.ctl("credentials", "revoke", "ctl-dev", rotated).ok(t)
	if !row(r.out, "STATE:", "revoked") {
		t.Fatalf("revoke:\n%s", r.out)
	}
	if len(activeRows()) != 0 {
		t.Fatal("a revoked credential is still active")
	}

	r = e.ctl("bootstrap", "accounts", "create", "batch-9", "--auto-provision").ok(t)
	if !row(r.out, "AUTO", "PROVISION:", "true") {
		t.Fatalf("account create:\n%s", r.out)
	}
	r = e.ctl("bootstrap", "factory", "create", "--account", "batch-9").ok(t)
	if !row(r.out, "PSK", "KEY:") {
		t.Fatalf("a generated batch key is not shown once (labelled like the other fields):\n%s", r.out)
	}
	r = e.ctl("bootstrap", "factory", "revoke", "2").ok(t)
	if !row(r.out, "STATE:", "revoked") {
		t.Fatalf("factory revoke:\n%s", r.out)
	}
	e.ctl("bootstrap", "accounts", "delete", "batch-9").ok(t)
	e.ctl("bootstrap", "unbind", "ctl-dev").ok(t)
}
