package dm_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// muteDevice registers ep over plain UDP from a raw socket and then
// never answers anything: every request to it times out.
func muteDevice(t *testing.T, e *env, ep string) {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	m := coap.NewRequest(coap.POST, "rd")
	m.Type, m.MessageID = coap.Confirmable, 0x1234
	m.AddQuery("ep="+ep, "lt=300", "lwm2m=1.1", "b=U")
	m.SetContentFormat(lwm2m.FormatLinkFormat)
	m.Payload = []byte("</3/0>,</1/0>")
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteTo(b, e.srv.UDPAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no answer to the registration: %v", err)
		}
		if r, err := coap.Decode(buf[:n]); err == nil && r.MessageID == 0x1234 {
			if r.Code != lwm2m.CodeCreated {
				t.Fatalf("registration answered %s", r.Code)
			}
			return
		}
	}
}

// TestRetryPolicy: a command to a device that does not answer is retried
// after the profile's backoff up to its attempts, then failed, each step
// an event.
func TestRetryPolicy(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{
		dm:     func(c *dm.Config) { c.RequestTimeout = 200 * time.Millisecond },
		server: func(c *server.Config) { c.RequestTimeout = 200 * time.Millisecond },
	})
	ctx := context.Background()
	prof, err := e.svc.CreateProfile(ctx, dm.System(), models.Profile{Name: "retry", Spec: models.ProfileSpec{
		Retry: models.RetryPolicy{MaxAttempts: 2, Backoff: models.Duration(100 * time.Millisecond)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "mute", Profile: prof.Name, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
		t.Fatal(err)
	}
	sub, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: "mute", Types: []string{"command.retry", "command.failed"}})
	defer cancel()
	muteDevice(t, e, "mute")
	e.waitStatus(t, "mute", models.StatusOnline)

	// A synchronous command times out and says so.
	if _, err := e.svc.Execute(ctx, dm.System(), "mute", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{}); !isErr(err, server.ErrTimeout) {
		t.Fatalf("sync read of a mute device: %v", err)
	}
	res, err := e.svc.Execute(ctx, dm.System(), "mute", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{Queue: true})
	if err != nil || !res.Queued || res.Command.MaxAttempts != 2 {
		t.Fatalf("%v %+v", err, res.Command)
	}
	waitEvent(t, sub, "command.retry")
	waitEvent(t, sub, "command.failed")
	c, err := e.svc.GetCommand(ctx, dm.System(), res.Command.ID)
	if err != nil || c.State != models.CommandFailed || c.Attempts != 2 || c.Error == "" {
		t.Fatalf("%v %+v", err, c)
	}
}
