package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
)

// fwConfig is testConfig with firmware timings that keep tests short:
// the scheduler looks every 20 ms, a silent job re-reads /5 every half
// second, retries come after 100 ms.
func fwConfig(t testing.TB, dsn string) app.Config {
	cfg := testConfig(t, dsn)
	cfg.Firmware = dm.FirmwareConfig{Interval: 20 * time.Millisecond, PollInterval: 500 * time.Millisecond,
		RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: 200 * time.Millisecond}
	return cfg
}

// proc is an App run by hand, so a test can stop it and start another
// on the same database and data directory.
type proc struct {
	a    *app.App
	stop func()
}

func runApp(t testing.TB, cfg app.Config) *proc {
	t.Helper()
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	p := &proc{a: a, stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}}
	t.Cleanup(p.stop)
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("Run ended at start: %v", err)
	}
	return p
}

// fwImage returns n bytes of a test image, different per seed.
func fwImage(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

func upload(t testing.TB, a *app.App, version string, data []byte) models.FirmwareImage {
	t.Helper()
	img, err := a.Service().UploadImage(context.Background(), dm.System(), dm.ImageInput{Version: version}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("upload %s: %v", version, err)
	}
	return img
}

// fwDev is a simulated device and what it saw happen to itself.
type fwDev struct {
	c        *client.Client
	mu       sync.Mutex
	reboots  int
	wakes    int
	sleeps   int
	fetched  []string // Package URIs it downloaded
	stopOnce sync.Once
	stop     func()
}

func (d *fwDev) count(f *int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return *f
}

// devOpts describes a device: how it connects and what it supports.
type devOpts struct {
	psk      bool  // coaps with a PSK, else plain coap
	delivery int64 // /5/0/9: 0 pull, 1 push, 2 both
	// protocols, when set, replaces every /5/0/8 instance's value.
	protocols int64
	mod       func(*client.Config)
}

// newFwDevice creates the device in the inventory with labels and runs
// a client for it that installs version newVersion on Update.
func newFwDevice(t testing.TB, a *app.App, ep, newVersion string, labels map[string]string, o devOpts) *fwDev {
	t.Helper()
	in := dm.DeviceInput{Endpoint: ep, Labels: labels}
	if !o.psk {
		in.Credentials = &dm.CredentialsInput{Mode: "nosec"}
	}
	created, err := a.Service().CreateDevice(context.Background(), dm.System(), in)
	if err != nil {
		t.Fatalf("create %s: %v", ep, err)
	}
	d := &fwDev{}
	cfg := client.Config{Endpoint: ep, ServerURI: "coap://" + a.CoAPAddr().String(), RebootDelay: 50 * time.Millisecond}
	if o.psk {
		key, err := hex.DecodeString(created.PSKKeyHex)
		if err != nil || len(key) == 0 {
			t.Fatalf("%s: no generated key", ep)
		}
		cfg.ServerURI, cfg.PSKIdentity, cfg.PSKKey = "coaps://"+a.CoAPSAddr().String(), created.Credential.PSKIdentity, key
	}
	cfg.Firmware.NewVersion = newVersion
	cfg.Events.Rebooted = func(string) { d.mu.Lock(); d.reboots++; d.mu.Unlock() }
	cfg.Events.Awake = func(string) { d.mu.Lock(); d.wakes++; d.mu.Unlock() }
	cfg.Events.Asleep = func(string) { d.mu.Lock(); d.sleeps++; d.mu.Unlock() }
	if o.mod != nil {
		o.mod(&cfg)
	}
	cfg.Models, cfg.Codecs, cfg.Dialer = objects.New(), std.New(), &client.CoAPDialer{}
	cfg.SimInterval, cfg.RetryDelay = -1, 100*time.Millisecond
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 3 * time.Second
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.c = c
	if err := c.Set(lwm2m.MustPath("/5/0/9"), lwm2m.IntValue(o.delivery)); err != nil {
		t.Fatal(err)
	}
	if o.protocols != 0 {
		for i := range 4 {
			if err := c.Set(lwm2m.MustPath(fmt.Sprintf("/5/0/8/%d", i)), lwm2m.IntValue(o.protocols)); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	d.stop = func() { d.stopOnce.Do(func() { cancel(); <-done }) }
	t.Cleanup(d.stop)
	return d
}

// waitOnline waits until dm counts every endpoint online.
func waitOnline(t testing.TB, a *app.App, eps []string) {
	t.Helper()
	for _, ep := range eps {
		waitFor(t, ep+" online", func() bool {
			v, err := a.Service().GetDevice(context.Background(), dm.System(), ep)
			return err == nil && v.Status == models.StatusOnline
		})
	}
}

// waitCampaign waits (up to within) until the campaign is in state want.
func waitCampaign(t testing.TB, a *app.App, id int64, want models.CampaignState, within time.Duration) dm.CampaignView {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, err := a.Service().GetCampaign(context.Background(), dm.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v.State == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign %d is %s (%s) with %v, not %s", id, v.State, v.StateReason, v.Counts, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// campaignRows returns every device row of a campaign by endpoint.
func campaignRows(t testing.TB, a *app.App, id int64) map[string]models.CampaignDevice {
	t.Helper()
	out := map[string]models.CampaignDevice{}
	p := dm.PageRequest{Limit: dm.MaxPageLimit}
	for {
		pg, err := a.Service().CampaignDevices(context.Background(), dm.System(), id, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range pg.Items {
			out[d.Endpoint] = d
		}
		if pg.Next == "" {
			return out
		}
		p.Cursor = pg.Next
	}
}

// maxOverlap is the most rows whose [StartedAt, FinishedAt] spans cover
// one instant. A row's span lies inside the time its job held one of the
// campaign's slots (StartedAt is stamped after the slot is taken,
// FinishedAt stored before it is given back), so this never exceeds the
// number of jobs that ran at once; at equal instants an end counts before
// a start, as it happened.
func maxOverlap(rows map[string]models.CampaignDevice) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, r := range rows {
		if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
			continue
		}
		edges = append(edges, edge{r.StartedAt, 1}, edge{r.FinishedAt, -1})
	}
	slices.SortFunc(edges, func(x, y edge) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return x.delta - y.delta
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// fetcher is a client.Downloader for tests: it fetches coap:// Package
// URIs over its own plain-UDP connection (lwm2m/coap reassembles Block2)
// and http(s):// ones with net/http, after wait (when set) returns, and
// records what it fetched.
type fetcher struct {
	wait func(ctx context.Context) error
	mu   sync.Mutex
	uris []string
	n    int64 // bytes fetched
}

type silentInbound struct{}

func (silentInbound) ServeCoAP(*coap.Message) *coap.Message { return nil }
func (silentInbound) Cancelled(coap.Token)                  {}

func (f *fetcher) Download(ctx context.Context, uri string, limit int) ([]byte, error) {
	if f.wait != nil {
		if err := f.wait(ctx); err != nil {
			return nil, err
		}
	}
	data, err := fetch(ctx, uri, limit)
	f.mu.Lock()
	f.uris = append(f.uris, uri)
	f.n += int64(len(data))
	f.mu.Unlock()
	return data, err
}

func (f *fetcher) fetched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.uris)
}

// fetch GETs a package by coap:// or http(s)://.
func fetch(ctx context.Context, uri string, limit int) ([]byte, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", uri, resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, int64(limit)))
	case "coap":
	default:
		return nil, fmt.Errorf("%s: scheme not fetched by tests", uri)
	}
	conn, err := (&client.CoAPDialer{}).Dial(ctx, client.Target{URI: uri, Addr: u.Host}, silentInbound{})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	req := coap.NewRequest(coap.GET, strings.Split(strings.Trim(u.Path, "/"), "/")...)
	if u.RawQuery != "" {
		req.AddQuery(strings.Split(u.RawQuery, "&")...)
	}
	resp, err := conn.Exchange(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Code != lwm2m.CodeContent {
		return nil, fmt.Errorf("%s answered %s", uri, resp.Code)
	}
	return resp.Payload, nil
}
