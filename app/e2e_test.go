package app_test

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

type deviceJSON struct {
	Endpoint string `json:"endpoint"`
	Status   string `json:"status"`
	Info     *struct {
		Manufacturer string `json:"manufacturer"`
	} `json:"info"`
	Registration *struct {
		Transport string `json:"transport"`
	} `json:"registration"`
}

type commandJSON struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Error  string `json:"error"`
	Result *struct {
		Code    string     `json:"code"`
		Content lwm2m.Node `json:"content"`
	} `json:"result"`
}

type resultJSON struct {
	Code    string     `json:"code"`
	Content lwm2m.Node `json:"content"`
}

func (r *running) status(t testing.TB, ep string) deviceJSON {
	t.Helper()
	var d deviceJSON
	r.must(t, http.StatusOK, http.MethodGet, "/devices/"+ep, nil, &d)
	return d
}

func (r *running) waitStatus(t testing.TB, ep, want string) deviceJSON {
	t.Helper()
	var d deviceJSON
	waitFor(t, ep+" "+want, func() bool { d = r.status(t, ep); return d.Status == want })
	return d
}

func (r *running) command(t testing.TB, id int64) commandJSON {
	t.Helper()
	var c commandJSON
	r.must(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/commands/%d", id), nil, &c)
	return c
}

// createPSK creates a device over REST and returns the generated key.
func (r *running) createPSK(t testing.TB, ep string, extra map[string]any) []byte {
	t.Helper()
	body := map[string]any{"endpoint": ep, "credentials": map[string]any{"mode": "psk"}}
	for k, v := range extra {
		body[k] = v
	}
	var created struct {
		Device deviceJSON `json:"device"`
		PSKKey string     `json:"psk_key"`
	}
	r.must(t, http.StatusCreated, http.MethodPost, "/devices", body, &created)
	if created.Device.Status != "never" || created.PSKKey == "" {
		t.Fatalf("created %+v", created)
	}
	key, err := hex.DecodeString(created.PSKKey)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestEndToEnd is issue 5's acceptance test: the real assembly (storage,
// dm, LwM2M server, REST API) with devices over real sockets, on SQLite
// and PostgreSQL.
func TestEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := start(t, testConfig(t, dsn))
		if r.token == "" {
			t.Fatal("no admin token generated at first start")
		}
		if code := r.call(t, http.MethodGet, "/devices", nil, nil); code != http.StatusOK {
			t.Fatalf("list devices: %d", code)
		}
		r.must(t, http.StatusCreated, http.MethodPost, "/profiles", map[string]any{"name": "thermo", "spec": map[string]any{
			"telemetry": []map[string]string{{"path": "/3303/0/5700", "name": "temperature"}}}}, nil)

		// A device created over REST registers over DTLS-PSK.
		key := r.createPSK(t, "e2e-1", map[string]any{"profile": "thermo"})
		dev := device(t, client.Config{Endpoint: "e2e-1", ServerURI: "coaps://" + r.a.CoAPSAddr().String(), PSKIdentity: "e2e-1", PSKKey: key})
		d := r.waitStatus(t, "e2e-1", "online")
		if d.Registration == nil || d.Registration.Transport != "dtls" {
			t.Fatalf("registration %+v", d.Registration)
		}

		// Read /3/0, write, execute.
		var res resultJSON
		r.must(t, http.StatusOK, http.MethodGet, "/devices/e2e-1/lwm2m/3/0", nil, &res)
		if res.Code != "2.05" {
			t.Fatalf("read /3/0: %+v", res)
		}
		if m, ok := res.Content.Find(0); !ok || m.Value.Str() != "Shoal" {
			t.Fatalf("read /3/0: manufacturer %+v", m)
		}
		r.must(t, http.StatusOK, http.MethodPut, "/devices/e2e-1/lwm2m/1/0/1", 120, &res)
		if v, _ := dev.Get(lwm2m.MustPath("/1/0/1")); res.Code != "2.04" || v.Int() != 120 {
			t.Fatalf("write: %+v, device has %v", res, v)
		}
		r.must(t, http.StatusOK, http.MethodPost, "/devices/e2e-1/lwm2m/3303/0/5605", nil, &res)
		if res.Code != "2.04" {
			t.Fatalf("execute: %+v", res)
		}
		var problem map[string]any
		if code := r.call(t, http.MethodGet, "/devices/e2e-1/lwm2m/9/0", nil, &problem); code != http.StatusNotFound || problem["lwm2m_code"] != "4.04" {
			t.Fatalf("read of a missing object: %d %v", code, problem)
		}

		// Observe: telemetry arrives through the API and the SSE stream.
		live := r.stream(t, "device=e2e-1&type=telemetry")
		r.must(t, http.StatusOK, http.MethodPost, "/devices/e2e-1/observe/3303/0/5700", nil, &res)
		dev.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(23.75))
		live.next(t, "a telemetry event of 23.75", func(m map[string]any) bool {
			data, _ := m["data"].(map[string]any)
			pts, _ := data["points"].([]any)
			for _, p := range pts {
				pm := p.(map[string]any)
				if v, _ := pm["value"].(map[string]any); pm["key"] == "temperature" && v["value"] == 23.75 {
					return true
				}
			}
			return false
		})
		waitFor(t, "telemetry through the API", func() bool {
			var tel struct {
				Series []struct {
					Key    string
					Points []struct {
						Type  string
						Value any
					}
				}
			}
			r.must(t, http.StatusOK, http.MethodGet, "/devices/e2e-1/telemetry?keys=temperature", nil, &tel)
			if len(tel.Series) != 1 {
				return false
			}
			last := tel.Series[0].Points[len(tel.Series[0].Points)-1]
			return last.Type == "float" && last.Value == 23.75
		})

		// A queue-mode device: a command queued while it sleeps goes out
		// right after its next update.
		qkey := r.createPSK(t, "e2e-q", nil)
		q := device(t, client.Config{Endpoint: "e2e-q", ServerURI: "coaps://" + r.a.CoAPSAddr().String(), PSKIdentity: "e2e-q", PSKKey: qkey,
			QueueMode: true, AwakeTime: 500 * time.Millisecond})
		r.waitStatus(t, "e2e-q", "online")
		waitFor(t, "the device info read", func() bool {
			d := r.status(t, "e2e-q")
			return d.Info != nil && d.Info.Manufacturer == "Shoal"
		})
		q.Sleep()
		r.waitStatus(t, "e2e-q", "asleep")
		var queued commandJSON
		r.must(t, http.StatusAccepted, http.MethodGet, "/devices/e2e-q/lwm2m/3/0/0", nil, &queued)
		if queued.ID == 0 || queued.State != "pending" {
			t.Fatalf("queued: %+v", queued)
		}
		q.Wake()
		var c commandJSON
		waitFor(t, "the queued read delivered", func() bool { c = r.command(t, queued.ID); return c.State == "succeeded" })
		if c.Result == nil || c.Result.Content.Value.Str() != "Shoal" {
			t.Fatalf("result %+v", c.Result)
		}

		// A command expires.
		r.createPSK(t, "e2e-absent", nil)
		r.must(t, http.StatusAccepted, http.MethodGet, "/devices/e2e-absent/lwm2m/3/0?expiry=200ms", nil, &queued)
		waitFor(t, "the command expired", func() bool { return r.command(t, queued.ID).State == "expired" })

		// A deleted device can no longer handshake.
		sec := r.stream(t, "category=security")
		r.must(t, http.StatusNoContent, http.MethodDelete, "/devices/e2e-1", nil, nil)
		if code := r.call(t, http.MethodGet, "/devices/e2e-1", nil, nil); code != http.StatusNotFound {
			t.Fatalf("deleted device: %d", code)
		}
		again := device(t, client.Config{Endpoint: "e2e-1", ServerURI: "coaps://" + r.a.CoAPSAddr().String(), PSKIdentity: "e2e-1", PSKKey: key})
		sec.next(t, "a failed handshake", func(m map[string]any) bool { return m["type"] == "handshake-failed" })
		if again.Status().Registered {
			t.Fatal("a deleted device registered again")
		}
	})
}
