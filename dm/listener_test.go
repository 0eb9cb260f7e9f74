package dm_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestHandshakeFailureNamesIdentity: a device offering its PSK identity
// with a wrong key raises a handshake-failed security event that names the
// identity it offered and the device it belongs to, and never the key.
func TestHandshakeFailureNamesIdentity(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{server: func(c *server.Config) { c.HandshakeTimeout = time.Second }})
		sec, cancel := subscribe(t, e.svc, dm.EventFilter{Categories: []models.EventCategory{models.CategorySecurity}})
		defer cancel()
		created, err := e.svc.CreateDevice(t.Context(), dm.System(), dm.DeviceInput{Endpoint: "wrong-key"})
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte("0123456789abcdef")
		startDevice(t, client.Config{Endpoint: "wrong-key", ServerURI: e.coapsURI(),
			PSKIdentity: created.Credential.PSKIdentity, PSKKey: wrong})
		ev := waitEvent(t, sec, "handshake-failed")
		var data map[string]string
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["identity"] != "psk:"+created.Credential.PSKIdentity || data["address"] == "" || data["reason"] == "" {
			t.Fatalf("event data %s", ev.Data)
		}
		if ev.Endpoint != "wrong-key" || ev.DeviceID != created.Device.ID {
			t.Fatalf("event %+v: want the device it names", ev)
		}
		for _, s := range []string{string(wrong), created.PSKKeyHex} {
			if strings.Contains(string(ev.Data), s) {
				t.Fatalf("a key leaked into %s", ev.Data)
			}
		}
	})
}
