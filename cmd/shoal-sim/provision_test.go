package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/app"
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

// getJSON GETs path from the API with the admin token into v.
func getJSON(t *testing.T, api, path string, v any) bool {
	req, _ := http.NewRequest(http.MethodGet, api+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Logf("GET %s: %v", path, err)
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(v) == nil
}

// deviceList is the part of GET /api/v1/devices the test reads.
type deviceList struct {
	Total int `json:"total"`
	Items []struct {
		Endpoint     string `json:"endpoint"`
		Profile      string `json:"profile"`
		Registration *struct {
			Identity  string `json:"identity"`
			Transport string `json:"transport"`
		} `json:"registration"`
	} `json:"items"`
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
		waitFor(t, "30 devices registered over DTLS as themselves, with the profile", func() bool {
			var l deviceList
			if !getJSON(t, api, "/api/v1/devices?search=prov-&status=online&limit=100", &l) || l.Total != 30 || len(l.Items) != 30 {
				return false
			}
			for _, d := range l.Items {
				if d.Registration == nil || d.Registration.Identity != d.Endpoint || d.Registration.Transport != "dtls" || d.Profile != "bench" {
					return false
				}
			}
			return true
		})
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
			var l deviceList
			return getJSON(t, api, "/api/v1/devices?search=prov-&status=online", &l) && l.Total == 0
		})
		var sum sim.Summary
		if err := json.Unmarshal([]byte(out.String()), &sum); err != nil || sum.Counts.Registrations < 30 || sum.Counts.Errors != 0 {
			t.Fatalf("run %d: summary %+v %v; errors %v", round, sum.Counts, err, sum.Errors)
		}
	}
}
