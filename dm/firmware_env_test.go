package dm_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/firmware"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// fwOpts tunes a firmware test environment.
type fwOpts struct {
	fw     func(*dm.FirmwareConfig)
	server func(*server.Config)
	// dataDir and addrs, when set, reuse a previous environment's image
	// directory and LwM2M ports (a restart).
	dataDir    string
	coap, dtls string
}

// fwEnv is dm with firmware enabled over a real store, the image
// directory and a real lwm2m/server whose Files hook serves packages.
type fwEnv struct {
	*env
	dir     string
	coap    string
	dtls    string
	stopped bool
}

// fastFirmware are timings that keep tests short.
func fastFirmware(c *dm.FirmwareConfig) {
	c.Interval = 20 * time.Millisecond
	c.PollInterval = 500 * time.Millisecond
	c.RetryBackoff = 100 * time.Millisecond
	c.MaxRetryBackoff = 200 * time.Millisecond
}

func newFwEnv(t *testing.T, b storetest.Backend, dsn string, o fwOpts) *fwEnv {
	t.Helper()
	st := openStore(t, b, dsn)
	w, err := storage.NewTelemetryWriter(st.Telemetry(), storage.WriterConfig{FlushInterval: 20 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	reg := objects.New()
	svc, err := dm.New(dm.Config{DispatchInterval: 20 * time.Millisecond, RequestTimeout: 5 * time.Second, AllowNoSec: true},
		stores(st, w), reg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	dir, err := firmware.NewDir(filepath.Join(o.dataDir, "firmware"))
	if err != nil {
		t.Fatal(err)
	}
	loc := firmware.NewLocator()
	fcfg := dm.FirmwareConfig{Packages: loc}
	fastFirmware(&fcfg)
	if o.fw != nil {
		o.fw(&fcfg)
	}
	if err := svc.EnableFirmware(st.FirmwareStores(), dir, fcfg); err != nil {
		t.Fatal(err)
	}
	files, err := firmware.NewFiles(svc, 0, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if o.coap == "" {
		o.coap, o.dtls = "127.0.0.1:0", "127.0.0.1:0"
	}
	scfg := server.Config{
		CoAPAddr: o.coap, CoAPSAddr: o.dtls,
		Credentials: svc.ServerCredentials(), Registrations: svc.ServerRegistrations(), Observations: svc.ServerObservations(),
		Listener: svc.Listener(), Models: reg, ExpiryInterval: 20 * time.Millisecond, PersistInterval: 20 * time.Millisecond,
		RequestTimeout: 5 * time.Second, Logger: testLog(t), Files: files,
	}
	if o.server != nil {
		o.server(&scfg)
	}
	srv, err := server.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(srv)
	loc.Set("coap", firmware.Prefix("coap", "", srv.UDPAddr(), "fw"))
	loc.Set("coaps", firmware.Prefix("coaps", "", srv.DTLSAddr(), "fw"))
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, st: st, dsn: dsn, svc: svc, srv: srv, models: reg, cancel: cancel, done: make(chan struct{})}
	srvDone, runDone := make(chan error, 1), make(chan error, 1)
	dmCtx, dmCancel := context.WithCancel(context.Background())
	go func() { srvDone <- srv.Serve(ctx) }()
	go func() { runDone <- svc.Run(dmCtx) }()
	go func() {
		defer close(e.done)
		if err := <-srvDone; err != nil {
			t.Errorf("server: %v", err)
		}
		dmCancel()
		if err := <-runDone; err != nil {
			t.Errorf("dm: %v", err)
		}
		st.Close()
	}()
	t.Cleanup(e.stop)
	<-srv.Ready()
	<-svc.Running()
	return &fwEnv{env: e, dir: o.dataDir, coap: srv.UDPAddr().String(), dtls: srv.DTLSAddr().String()}
}

// image returns n bytes of a test image, different per seed.
func image(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

// upload stores an image of version v.
func (f *fwEnv) upload(t *testing.T, v string, data []byte) models.FirmwareImage {
	t.Helper()
	img, err := f.svc.UploadImage(context.Background(), dm.System(), dm.ImageInput{Version: v, Notes: "test image"}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("upload %s: %v", v, err)
	}
	if sum := sha256.Sum256(data); img.SHA256 != fmt.Sprintf("%x", sum) || img.Size != int64(len(data)) {
		t.Fatalf("uploaded %+v", img)
	}
	return img
}

// fwDevice starts a device whose firmware update installs version v; how
// chooses the transport: "psk" (coaps) or "nosec" (coap).
func (f *fwEnv) fwDevice(t *testing.T, ep, how string, in dm.DeviceInput, mod func(*client.Config)) *device {
	t.Helper()
	set := func(c *client.Config) {
		c.RebootDelay = 50 * time.Millisecond
		if mod != nil {
			mod(c)
		}
	}
	if how == "psk" {
		d, _ := f.pskDevice(t, ep, in, set)
		return d
	}
	in.Endpoint, in.Credentials = ep, &dm.CredentialsInput{Mode: "nosec"}
	if _, err := f.svc.CreateDevice(context.Background(), dm.System(), in); err != nil {
		t.Fatalf("create %s: %v", ep, err)
	}
	cfg := client.Config{Endpoint: ep, ServerURI: "coap://" + f.coap}
	set(&cfg)
	return startDevice(t, cfg)
}

// waitCampaign waits until the campaign is in state want and returns it.
func (f *fwEnv) waitCampaign(t *testing.T, id int64, want models.CampaignState, within time.Duration) dm.CampaignView {
	t.Helper()
	var v dm.CampaignView
	deadline := time.Now().Add(within)
	for {
		var err error
		v, err = f.svc.GetCampaign(context.Background(), dm.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v.State == want {
			return v
		}
		if time.Now().After(deadline) {
			devs, _ := f.svc.CampaignDevices(context.Background(), dm.System(), id, nil, dm.PageRequest{Limit: 20})
			t.Fatalf("campaign %d is %s (%s), counts %v, not %s; devices %+v", id, v.State, v.StateReason, v.Counts, want, devs.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobs returns the campaign's devices by endpoint.
func (f *fwEnv) jobs(t *testing.T, id int64) map[string]models.CampaignDevice {
	t.Helper()
	out := map[string]models.CampaignDevice{}
	p := dm.PageRequest{Limit: dm.MaxPageLimit}
	for {
		pg, err := f.svc.CampaignDevices(context.Background(), dm.System(), id, nil, p)
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
