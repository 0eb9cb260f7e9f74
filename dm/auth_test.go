package dm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestAdminTokenAndAuthenticate: the first start generates one admin
// token (stored only as a hash), later starts none; SHOAL_ADMIN_TOKEN is
// stored when given; revoked and unknown tokens are refused.
func TestAdminTokenAndAuthenticate(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{dm: func(c *dm.Config) { c.CacheTTL = time.Nanosecond }})
		ctx := context.Background()
		tok, err := e.svc.EnsureAdminToken(ctx, "")
		if err != nil || !strings.HasPrefix(tok, "shoal_") || len(tok) < 40 {
			t.Fatalf("generated %q: %v", tok, err)
		}
		again, err := e.svc.EnsureAdminToken(ctx, "")
		if err != nil || again != "" {
			t.Fatalf("second start printed %q: %v", again, err)
		}
		p, err := e.svc.Authenticate(ctx, "Bearer "+tok)
		if err != nil || p.Role != models.RoleAdmin || p.TokenID == 0 {
			t.Fatalf("authenticate: %v %+v", err, p)
		}
		stored, err := e.st.Tokens().Get(ctx, p.TokenID)
		if err != nil || stored.Hash == tok || strings.Contains(stored.Hash, tok) || len(stored.Hash) != 64 {
			t.Fatalf("stored %+v: the secret must not be stored", stored)
		}
		for _, bad := range []string{"", "Bearer ", "Bearer shoal_nope", tok + "x"} {
			if _, err := e.svc.Authenticate(ctx, bad); !isErr(err, dm.ErrUnauthorized) {
				t.Errorf("%q: %v", bad, err)
			}
		}
		env := "a-token-from-the-environment"
		if out, err := e.svc.EnsureAdminToken(ctx, env); err != nil || out != "" {
			t.Fatalf("env token: %q %v", out, err)
		}
		pe, err := e.svc.Authenticate(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Tokens().Revoke(ctx, pe.TokenID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, env); !isErr(err, dm.ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		if _, err := e.svc.EnsureAdminToken(ctx, env); !isErr(err, dm.ErrInvalid) {
			t.Fatalf("revoked env token at start: %v", err)
		}
		if _, err := e.svc.EnsureAdminToken(ctx, "short"); !isErr(err, dm.ErrInvalid) {
			t.Fatalf("short env token: %v", err)
		}
	})
}

// TestProfileValidation refuses bad specs naming the field, and resolves
// profiles by name or id.
func TestProfileValidation(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	ok := telemetryProfile("good", models.ObserveSingle)
	p, err := e.svc.CreateProfile(ctx, dm.System(), ok)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"good", "1"} {
		if got, err := e.svc.GetProfile(ctx, dm.System(), ref); err != nil || got.ID != p.ID {
			t.Errorf("GetProfile(%q): %v %+v", ref, err, got)
		}
	}
	f := lwm2m.FormatLinkFormat
	for _, tc := range []struct {
		mod   func(*models.Profile)
		field string
	}{
		{func(p *models.Profile) { p.Name = "" }, "name"},
		{func(p *models.Profile) { p.Name = "42" }, "name"},
		{func(p *models.Profile) { p.Spec.Observe.Strategy = "sometimes" }, "spec.observe.strategy"},
		{func(p *models.Profile) { p.Spec.Observe.Targets[0].Path = lwm2m.Root }, "spec.observe.targets[0].path"},
		{func(p *models.Profile) { p.Spec.Observe.Targets[1].Path = lwm2m.MustPath("/3/0/999") }, "spec.observe.targets[1].path"},
		{func(p *models.Profile) { p.Spec.Observe.Targets[2].Path = p.Spec.Observe.Targets[0].Path }, "spec.observe.targets[2].path"},
		{func(p *models.Profile) {
			p.Spec.Observe.Targets[0].Attributes = lwm2m.Attributes{Pmin: u32(60), Pmax: u32(10)}
		}, "spec.observe.targets[0].attributes"},
		{func(p *models.Profile) { p.Spec.Telemetry[0].Path = lwm2m.MustPath("/3303/0") }, "spec.telemetry[0].path"},
		{func(p *models.Profile) { p.Spec.Telemetry[1].Name = "temperature" }, "spec.telemetry[1]"},
		{func(p *models.Profile) { p.Spec.Attributes[0].Name = " " }, "spec.attributes[0].name"},
		{func(p *models.Profile) { p.Spec.Format = &f }, "spec.format"},
		{func(p *models.Profile) { p.Spec.Retry.MaxAttempts = -1 }, "spec.retry.max_attempts"},
		{func(p *models.Profile) { p.Spec.Retry.Multiplier = 0.5 }, "spec.retry.multiplier"},
		{func(p *models.Profile) { p.Spec.CommandExpiry = -1 }, "spec.command_expiry"},
	} {
		bad := telemetryProfile("bad", models.ObserveSingle)
		tc.mod(&bad)
		_, err := e.svc.CreateProfile(ctx, dm.System(), bad)
		if !isErr(err, dm.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	if _, err := e.svc.CreateProfile(ctx, dm.System(), ok); !isErr(err, dm.ErrConflict) {
		t.Errorf("duplicate name: %v", err)
	}
	e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "uses-good", Profile: "good"})
	if err := e.svc.DeleteProfile(ctx, dm.System(), "good"); !isErr(err, dm.ErrConflict) {
		t.Errorf("deleting a used profile: %v", err)
	}
	upd := p
	upd.Description = "changed"
	if got, err := e.svc.UpdateProfile(ctx, dm.System(), "good", upd); err != nil || got.Description != "changed" {
		t.Errorf("update: %v %+v", err, got)
	}
	v, err := e.svc.GetDevice(ctx, dm.System(), "uses-good")
	if err != nil || v.Profile != "good" {
		t.Errorf("device view: %v %+v", err, v)
	}
	if _, err := e.svc.GetProfile(ctx, dm.System(), "missing"); !isErr(err, dm.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

// TestMetricsRegistered: dm's collectors land in the given registry.
func TestMetricsRegistered(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, storetest.SQLite(), envOpts{dm: func(c *dm.Config) { c.Registerer = reg }})
	e.pskDevice(t, "metered", dm.DeviceInput{}, nil)
	e.waitStatus(t, "metered", models.StatusOnline)
	e.read(t, "metered", "/3/0/0")
	want := map[string]bool{"shoal_devices_registered": false, "shoal_devices_online": false, "shoal_operations_total": false,
		"shoal_command_queue_depth": false, "shoal_telemetry_points_total": false}
	waitFor(t, "metrics", func() bool {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if _, ok := want[mf.GetName()]; !ok {
				continue
			}
			switch mf.GetName() {
			case "shoal_devices_registered", "shoal_devices_online":
				want[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue() == 1
			case "shoal_operations_total":
				for _, m := range mf.GetMetric() {
					if m.GetCounter().GetValue() >= 1 && m.GetLabel()[0].GetValue() == "read" {
						want[mf.GetName()] = true
					}
				}
			default:
				want[mf.GetName()] = true
			}
		}
		for _, ok := range want {
			if !ok {
				return false
			}
		}
		return true
	})
}
