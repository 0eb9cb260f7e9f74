package dm_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/opaque"
	"github.com/shoal-iot/shoal/lwm2m/codec/text"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// appliedSteps is the steps of a profile.applied event.
type appliedSteps struct {
	Attempt int `json:"attempt"`
	Steps   []struct {
		Op    string   `json:"op"`
		Paths []string `json:"paths"`
		Code  string   `json:"code"`
		Error string   `json:"error"`
	} `json:"steps"`
}

func decodeSteps(t *testing.T, ev models.Event) appliedSteps {
	t.Helper()
	var a appliedSteps
	if err := json.Unmarshal(ev.Data, &a); err != nil {
		t.Fatalf("profile.applied data %s: %v", ev.Data, err)
	}
	return a
}

// TestInfoReadFallsBackOnRefusal: a device that refuses the read of /3/0
// (here 4.06: it knows text/plain only, so no format of a whole
// instance) gets the device-info resources read one by one, and dm shows
// its manufacturer, model, serial and firmware.
func TestInfoReadFallsBackOnRefusal(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	const ep = "plain-only"
	if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: ep, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
		t.Fatal(err)
	}
	sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: ep})
	defer stop()
	cfg := client.Config{Endpoint: ep, ServerURI: e.coapURI(), Manufacturer: "Plain Co", ModelNumber: "P-1",
		SerialNumber: "SN-9", FirmwareVersion: "0.9.1", Models: objects.New(), SimInterval: -1,
		RetryDelay: 100 * time.Millisecond, Codecs: codec.NewRegistry(text.New(), opaque.New()), Dialer: &client.CoAPDialer{}}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(cctx) }()
	defer func() { cancel(); <-done }()

	a := decodeSteps(t, waitEvent(t, sub, "profile.applied"))
	if len(a.Steps) < 2 || a.Steps[0].Paths[0] != "/3/0" || a.Steps[0].Code != "4.06" {
		t.Fatalf("steps: %+v", a.Steps)
	}
	read := map[string]string{}
	for _, s := range a.Steps[1:] {
		read[s.Paths[0]] = s.Code
	}
	for _, p := range []string{"/3/0/0", "/3/0/1", "/3/0/2", "/3/0/3"} {
		if read[p] != "2.05" {
			t.Fatalf("%s not read one by one: %+v", p, a.Steps)
		}
	}
	v, err := e.svc.GetDevice(ctx, dm.System(), ep)
	if err != nil {
		t.Fatal(err)
	}
	if v.Info.Manufacturer != "Plain Co" || v.Info.Model != "P-1" || v.Info.Serial != "SN-9" || v.Info.Firmware != "0.9.1" {
		t.Fatalf("info: %+v", v.Info)
	}
}

// rawDevice is a NoSec LwM2M device on a bare UDP socket that never
// answers a read of the /3/0 instance and answers single /3/0 resources
// in text/plain (as lwm2m-node-lib does).
type rawDevice struct {
	conn *net.UDPConn
	mu   sync.Mutex
	// instanceReads counts the distinct reads of /3/0 (retransmissions
	// excluded).
	instanceReads map[uint16]bool
	values        map[string]string
}

func (d *rawDevice) serve(t *testing.T) {
	buf := make([]byte, 2048)
	for {
		n, from, err := d.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, err := coap.Decode(buf[:n])
		if err != nil || m.Type != coap.Confirmable || !m.IsRequest() {
			continue
		}
		path := m.PathString()
		resp := &coap.Message{Type: coap.Acknowledgement, MessageID: m.MessageID, Token: m.Token, Code: lwm2m.CodeNotFound}
		switch v, ok := d.values[path]; {
		case m.Code == coap.GET && path == "/3/0":
			d.mu.Lock()
			d.instanceReads[m.MessageID] = true
			d.mu.Unlock()
			continue // never answered
		case m.Code == coap.GET && ok:
			resp.Code, resp.Payload = lwm2m.CodeContent, []byte(v)
			resp.Options = resp.Options.SetUint(coap.OptContentFormat, 0)
		}
		b, err := resp.Encode()
		if err != nil {
			t.Errorf("encoding an answer: %v", err)
			return
		}
		_, _ = d.conn.WriteToUDP(b, from)
	}
}

// register sends a Register to srv and waits for its 2.01.
func (d *rawDevice) register(t *testing.T, srv *net.UDPAddr, ep string) {
	t.Helper()
	req := coap.NewRequest(coap.POST, "rd")
	req.MessageID, req.Token = 1, coap.Token{}
	req.AddQuery("ep="+ep, "lt=300", "lwm2m=1.1", "b=U")
	req.Options = req.Options.SetUint(coap.OptContentFormat, uint32(lwm2m.FormatLinkFormat))
	req.Payload = []byte("</1/0>,</3/0>")
	b, err := req.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.conn.WriteToUDP(b, srv); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	for {
		n, _, err := d.conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("waiting for the 2.01: %v", err)
		}
		if m, err := coap.Decode(buf[:n]); err == nil && m.MessageID == 1 && m.Type == coap.Acknowledgement {
			if m.Code != lwm2m.CodeCreated {
				t.Fatalf("register: %v %s", m.Code, m.Payload)
			}
			return
		}
	}
}

// TestInfoReadAfterTimeoutReadsResources: a device that lets the read of
// /3/0 time out gets the device-info resources read one by one at once,
// and the instance read is not tried again.
func TestInfoReadAfterTimeoutReadsResources(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{
		dm: func(c *dm.Config) { c.RequestTimeout = 2 * time.Second },
	})
	ctx := context.Background()
	const ep = "node-lib"
	if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: ep, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
		t.Fatal(err)
	}
	sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: ep})
	defer stop()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	d := &rawDevice{conn: conn, instanceReads: map[uint16]bool{}, values: map[string]string{
		"/3/0/0": "Telefonica", "/3/0/1": "node-1", "/3/0/2": "S-42", "/3/0/3": "1.2.3"}}
	d.register(t, e.srv.UDPAddr().(*net.UDPAddr), ep)
	served := make(chan struct{})
	go func() { defer close(served); d.serve(t) }()
	defer func() { conn.Close(); <-served }()

	a := decodeSteps(t, waitEvent(t, sub, "profile.applied"))
	if a.Attempt > 1 || len(a.Steps) != 6 || a.Steps[0].Paths[0] != "/3/0" || a.Steps[0].Error == "" {
		t.Fatalf("steps: %+v", a)
	}
	var got []string
	for _, s := range a.Steps[1:] {
		got = append(got, s.Paths[0]+" "+s.Code)
	}
	// The device has no battery level: 4.04 for /3/0/9, the rest kept.
	if strings.Join(got, ",") != "/3/0/0 2.05,/3/0/1 2.05,/3/0/2 2.05,/3/0/3 2.05,/3/0/9 4.04" {
		t.Fatalf("read %v", got)
	}
	v, err := e.svc.GetDevice(ctx, dm.System(), ep)
	if err != nil {
		t.Fatal(err)
	}
	if v.Info.Manufacturer != "Telefonica" || v.Info.Model != "node-1" || v.Info.Serial != "S-42" || v.Info.Firmware != "1.2.3" {
		t.Fatalf("info: %+v", v.Info)
	}
	d.mu.Lock()
	n := len(d.instanceReads)
	d.mu.Unlock()
	if n != 1 {
		t.Fatalf("the instance read was sent %d times", n)
	}
}
