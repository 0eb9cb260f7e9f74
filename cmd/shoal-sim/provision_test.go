package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/sim"
)

const adminToken = "sim-test-admin-token-0123456789"

// startShoal runs the whole server (SQLite in a temporary directory, REST
// API, LwM2M over UDP and DTLS, all on 127.0.0.1 port 0).
func startShoal(t *testing.T) *app.App {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.LogOutput, cfg.LogLevel = io.Discard, "error"
	cfg.AdminToken = adminToken
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("shoal: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shoal Run: %v", err)
		}
	})
	return a
}

// TestFleetProvisionsThroughTheRealAPI runs `shoal-sim fleet --provision`
// against a real Shoal: the devices and their PSKs are created through
// POST /api/v1/devices/import, then all 30 register over DTLS as
// themselves; a second run finds them provisioned already.
func TestFleetProvisionsThroughTheRealAPI(t *testing.T) {
	a := startShoal(t)
	api := "http://" + a.HTTPAddr().String()
	body := strings.NewReader(`{"name":"bench","spec":{"observe":{"strategy":"single","targets":[{"path":"/3303/0/5700"}]},` +
		`"telemetry":[{"path":"/3303/0/5700","name":"temperature"}]}}`)
	req, _ := http.NewRequest(http.MethodPost, api+"/api/v1/profiles", body)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create profile: %v %v", resp, err)
	}
	resp.Body.Close()
	svc := a.Service()
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, strings.NewReader(""), &out, &errOut, "fleet",
				"--server", "coaps://"+a.CoAPSAddr().String(), "--psk-key", "00112233445566778899aabbccddeeff",
				"-n", "30", "--prefix", "prov-", "--ramp", "1000/s", "--provision", "--api", api,
				"--token", adminToken, "--profile", "bench", "--progress", "-1s")
		}()
		waitFor(t, "30 devices registered and online in Shoal", func() bool {
			page, err := svc.ListDevices(ctx, dm.DeviceFilter{Search: "prov-", Statuses: []models.DeviceStatus{models.StatusOnline}}, dm.PageRequest{})
			if err != nil || page.Total != 30 {
				return false
			}
			for _, d := range page.Items {
				if d.Registration == nil {
					return false
				}
			}
			return true
		})
		dev, err := svc.GetDevice(ctx, "prov-07")
		if err != nil || dev.Profile != "bench" || dev.Registration == nil || dev.Registration.Identity != "prov-07" {
			t.Fatalf("run %d: prov-07 %+v %v", round, dev, err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: fleet: %v\n%s", round, err, errOut.String())
		}
		want := "provisioned: 30 created, 0 already there"
		if round == 1 {
			want = "provisioned: 0 created, 30 already there"
		}
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("run %d: stderr lacks %q:\n%s", round, want, errOut.String())
		}
		waitFor(t, "every device offline after the fleet stopped", func() bool {
			page, err := svc.ListDevices(context.Background(), dm.DeviceFilter{Search: "prov-", Statuses: []models.DeviceStatus{models.StatusOnline}}, dm.PageRequest{})
			return err == nil && page.Total == 0
		})
		var sum sim.Summary
		if err := json.Unmarshal([]byte(out.String()), &sum); err != nil || sum.Counts.Registrations < 30 || sum.Counts.Errors != 0 {
			t.Fatalf("run %d: summary %+v %v; errors %v", round, sum.Counts, err, sum.Errors)
		}
	}
}
