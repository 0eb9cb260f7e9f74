package server_test

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

func TestRestartKeepsRegistrations(t *testing.T) {
	regs, obs := server.NewMemoryRegistrations(), server.NewMemoryObservations()
	creds := server.NewMemoryCredentials()
	creds.AddNoSec("plain")
	creds.AddPSK("secure", "id-s", []byte("key-s"))
	mk := func(rec *recorder) *server.Server {
		cfg := testConfig(rec)
		cfg.Credentials, cfg.Registrations, cfg.Observations = creds, regs, obs
		s, err := server.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := mk(newRecorder())
	stop1 := runServer(t, s1)
	plain := device(t, s1)
	plainID := location(t, register(t, plain, `</1/0>,</3/0>`, "ep=plain", "lwm2m=1.1"))
	sec := secureDevice(t, s1, pskOf("id-s", "key-s"), nil)
	secID := do(t, sec, registerReq(`</1/0>`, "ep=secure", "lwm2m=1.1")).LocationPath()[1]
	stop1() // flushes the stores

	rec := newRecorder()
	s2 := mk(rec)
	defer runServer(t, s2)()
	for _, ep := range []string{"plain", "secure"} {
		if _, ok := s2.Registration(ep); !ok {
			t.Fatalf("%s forgotten across the restart", ep)
		}
	}
	// The plain device updates from where it was, against the new port.
	lc, err := lockstep.New(s2.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if r := roundTrip(t, lc, lc.Request(coap.POST, "rd", plainID)); r.Code != lwm2m.CodeChanged {
		t.Fatalf("update after restart: %v", r)
	}
	// The DTLS device handshakes again and is still itself.
	sec2 := secureDevice(t, s2, pskOf("id-s", "key-s"), nil)
	if r := do(t, sec2, coap.NewRequest(coap.POST, "rd", secID)); r.Code != lwm2m.CodeChanged {
		t.Fatalf("secure update after restart: %v %q", r, r.Payload)
	}
	rec.waitEvent(t, "updated secure []")
	// Another identity still cannot use that registration.
	creds.AddPSK("other", "id-o", []byte("key-o"))
	o := secureDevice(t, s2, pskOf("id-o", "key-o"), nil)
	if r := do(t, o, coap.NewRequest(coap.POST, "rd", secID)); r.Code != lwm2m.CodeForbidden {
		t.Fatalf("other identity after restart: %v", r)
	}
}
