package server_test

import (
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// TestUpdateRepeatingVersion: lwm2m= is no Update parameter, but
// lwm2m-node-lib repeats it in every Update. The registration's own
// version is tolerated; another one is refused (4.00) and changes nothing.
func TestUpdateRepeatingVersion(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddNoSec("nodelib")
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	lc := device(t, s)
	id := location(t, register(t, lc, `</3/0>,</3303/0>`, "ep=nodelib", "lt=300", "lwm2m=1.0", "b=U"))
	rec.waitEvent(t, "registered nodelib")

	up := lc.Request(coap.POST, "rd", id)
	up.AddQuery("lt=600", "lwm2m=1.0", "b=U")
	if r := roundTrip(t, lc, up); r.Code != lwm2m.CodeChanged {
		t.Fatalf("update repeating lwm2m=1.0: %v %q", r, r.Payload)
	}
	rec.waitEvent(t, "updated nodelib [lt,b]")

	up = lc.Request(coap.POST, "rd", id)
	up.AddQuery("lt=900", "lwm2m=1.1")
	r := roundTrip(t, lc, up)
	if r.Code != lwm2m.CodeBadRequest {
		t.Fatalf("update changing the version: %v %q, want 4.00", r, r.Payload)
	}
	if reg, _ := s.Registration("nodelib"); reg.Version != "1.0" || reg.Lifetime != 10*time.Minute {
		t.Fatalf("registration after the refused update: %+v", reg)
	}
}
