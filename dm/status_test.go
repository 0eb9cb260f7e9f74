package dm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestDeregisterSetsOffline: a device that registers and then deregisters
// is offline afterwards, with a status event from online to offline; what
// the server still reports of the ended registration (an Update or a
// wake-up handled alongside the De-register, a late notification) does
// not bring it back online.
func TestDeregisterSetsOffline(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		const ep = "dereg-1"
		sub, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: ep})
		defer cancel()
		dev, _ := e.pskDevice(t, ep, dm.DeviceInput{}, func(c *client.Config) {
			c.Events.Error = func(ep string, err error) { t.Logf("client %s: %v", ep, err) }
		})
		waitEvent(t, sub, "registered")
		v := e.waitStatus(t, ep, models.StatusOnline)
		waitFor(t, "the client registered", func() bool { return dev.c.Status().Registered })
		reg := *v.Registration
		dev.stop() // deregisters
		waitEvent(t, sub, "deregistered")
		ev := waitEvent(t, sub, "status")
		for !strings.Contains(string(ev.Data), `"to":"offline"`) {
			ev = waitEvent(t, sub, "status")
		}
		if !strings.Contains(string(ev.Data), `"from":"online"`) || !strings.Contains(string(ev.Data), `"cause":"deregistered"`) {
			t.Fatalf("status event %s", ev.Data)
		}
		if v := e.waitStatus(t, ep, models.StatusOffline); v.Registration != nil {
			t.Fatalf("registration still shown after deregistering: %+v", v.Registration)
		}

		// Late reports of the ended registration, in the order a server
		// with several readers may deliver them.
		l := e.svc.Listener()
		l.Updated(server.Update{Registration: reg})
		l.Awake(ep)
		l.Notification(server.Notification{Endpoint: ep, ReceivedAt: time.Now(),
			Records: []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/9"), Value: lwm2m.IntValue(42)}}})
		l.Sent(server.SendEvent{Endpoint: ep, ReceivedAt: time.Now(),
			Records: []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/10"), Value: lwm2m.IntValue(7)}}})
		l.Security(server.SecurityEvent{Endpoint: ep, Kind: "marker", Time: time.Now()}) // the ingest queue is in order
		for ev := range sub.C {
			if ev.Type == "status" {
				t.Fatalf("a late report changed the status: %s", ev.Data)
			}
			if ev.Type == "marker" {
				break
			}
		}
		if got, err := e.svc.GetDevice(t.Context(), dm.System(), ep); err != nil || got.Status != models.StatusOffline {
			t.Fatalf("after late reports: %v status %s", err, got.Status)
		}
	})
}

// gatedEvents is the real event store with a gate in front of Append
// and of the batch writes: an event of type at waits until the gate opens.
type gatedEvents struct {
	dm.EventStore
	batch   dm.BatchStore
	at      string
	reached chan struct{}
	open    chan struct{}
}

func (g gatedEvents) Append(ctx context.Context, e *models.Event) error {
	g.wait(e)
	return g.EventStore.Append(ctx, e)
}

func (g gatedEvents) WriteBatch(ctx context.Context, sts []dm.StatusChange, evs []*models.Event) error {
	for _, e := range evs {
		g.wait(e)
	}
	return g.batch.WriteBatch(ctx, sts, evs)
}

func (g gatedEvents) CreateDevices(ctx context.Context, ds []*models.Device) error {
	return g.batch.CreateDevices(ctx, ds)
}

func (g gatedEvents) wait(e *models.Event) {
	if e.Type == g.at {
		close(g.reached)
		<-g.open
	}
}

// TestStatusStoredAtShutdown: a status change under way when dm is told
// to stop is still stored ("storing a device status: context canceled"
// lost the last status of devices that deregistered as Shoal stopped).
func TestStatusStoredAtShutdown(t *testing.T) {
	b := storetest.SQLite()
	st := openStore(t, b, b.NewDSN(t))
	defer st.Close()
	reg := objects.New()
	ss := stores(st, nil)
	gate := gatedEvents{EventStore: ss.Events, batch: ss.Batch, at: "deregistered", reached: make(chan struct{}), open: make(chan struct{})}
	ss.Events, ss.Batch = gate, gate
	svc, err := dm.New(dm.Config{RequestTimeout: 5 * time.Second, AllowNoSec: true}, ss, reg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{CoAPAddr: "127.0.0.1:0", Credentials: svc.ServerCredentials(),
		Registrations: svc.ServerRegistrations(), Observations: svc.ServerObservations(), Listener: svc.Listener(),
		Models: reg, Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(srv)
	srvCtx, stopSrv := context.WithCancel(context.Background())
	dmCtx, stopDM := context.WithCancel(context.Background())
	srvDone, dmDone := make(chan error, 1), make(chan error, 1)
	go func() { srvDone <- srv.Serve(srvCtx) }()
	go func() { dmDone <- svc.Run(dmCtx) }()
	defer func() { stopSrv(); stopDM() }()
	<-srv.Ready()
	<-svc.Running()

	const ep = "last-words"
	if _, err := svc.CreateDevice(context.Background(), dm.System(), dm.DeviceInput{Endpoint: ep, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
		t.Fatal(err)
	}
	dev := startDevice(t, client.Config{Endpoint: ep, ServerURI: "coap://" + srv.UDPAddr().String()})
	waitFor(t, "online", func() bool {
		v, err := svc.GetDevice(context.Background(), dm.System(), ep)
		return err == nil && v.Status == models.StatusOnline && dev.c.Status().Registered
	})
	go dev.stop() // deregisters; dm's ingest loop waits at the gate
	<-gate.reached
	stopSrv()
	if err := <-srvDone; err != nil {
		t.Fatal(err)
	}
	stopDM() // the status write of the de-registration comes after this
	close(gate.open)
	if err := <-dmDone; err != nil {
		t.Fatal(err)
	}
	d, err := st.Stores().Devices.GetByEndpoint(context.Background(), ep)
	if err != nil || d.Status != models.StatusOffline {
		t.Fatalf("stored status after shutdown: %v %s", err, d.Status)
	}
}
