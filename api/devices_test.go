package api_test

import (
	"net/http"
	"strings"
	"testing"
)

type deviceJSON struct {
	ID       int64             `json:"id"`
	Endpoint string            `json:"endpoint"`
	Name     string            `json:"name"`
	Profile  string            `json:"profile"`
	Labels   map[string]string `json:"labels"`
	Status   string            `json:"status"`
}

type devicePage struct {
	Items []deviceJSON `json:"items"`
	Total int64        `json:"total"`
	Next  string       `json:"next"`
}

func TestDeviceCRUD(t *testing.T) {
	e := newEnv(t, envOpts{})

	var created struct {
		Device     deviceJSON `json:"device"`
		Credential struct {
			Mode        string `json:"mode"`
			PSKIdentity string `json:"psk_identity"`
			State       string `json:"state"`
		} `json:"credential"`
		PSKKey string `json:"psk_key"`
	}
	r := e.do("POST", "/api/v1/devices", map[string]any{
		"endpoint": "dev-1", "name": "Pump 1", "labels": map[string]string{"site": "north"},
	}).want(t, http.StatusCreated)
	r.json(t, &created)
	if loc := r.header.Get("Location"); loc != "/api/v1/devices/dev-1" {
		t.Errorf("Location %q", loc)
	}
	if created.Device.Endpoint != "dev-1" || created.Device.Status != "never" || created.Device.Labels["site"] != "north" {
		t.Errorf("created device %+v", created.Device)
	}
	if created.Credential.Mode != "psk" || created.Credential.PSKIdentity == "" || len(created.PSKKey) < 32 {
		t.Errorf("credential %+v key %q: want a generated PSK shown once", created.Credential, created.PSKKey)
	}
	if strings.Contains(string(e.do("GET", "/api/v1/devices/dev-1", nil).body), created.PSKKey) {
		t.Error("GET shows the PSK key")
	}

	// A given key is not echoed back.
	var given struct {
		PSKKey string `json:"psk_key"`
	}
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "dev-2", "credentials": map[string]any{
		"mode": "psk", "psk_identity": "id-2", "psk_key": "000102030405060708090a0b0c0d0e0f"}}).want(t, 201).json(t, &given)
	if given.PSKKey != "" {
		t.Errorf("a given key is returned: %q", given.PSKKey)
	}
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "dev-3", "labels": map[string]string{"site": "south"},
		"credentials": map[string]any{"mode": "nosec"}}).want(t, 201)

	var got deviceJSON
	e.do("GET", "/api/v1/devices/dev-1", nil).want(t, 200).json(t, &got)
	if got.Name != "Pump 1" || got.ID != created.Device.ID {
		t.Errorf("get: %+v", got)
	}

	// Pages: limit 2 gives a cursor that leads to the third device.
	var p1, p2 devicePage
	e.do("GET", "/api/v1/devices?limit=2", nil).want(t, 200).json(t, &p1)
	if len(p1.Items) != 2 || p1.Total != 3 || p1.Next == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	e.do("GET", "/api/v1/devices?limit=2&cursor="+p1.Next, nil).want(t, 200).json(t, &p2)
	if len(p2.Items) != 1 || p2.Items[0].Endpoint != "dev-3" || p2.Next != "" {
		t.Fatalf("page 2: %+v", p2)
	}
	var byLabel devicePage
	e.do("GET", "/api/v1/devices?label=site=south", nil).want(t, 200).json(t, &byLabel)
	if byLabel.Total != 1 || byLabel.Items[0].Endpoint != "dev-3" {
		t.Errorf("label filter: %+v", byLabel)
	}
	var never devicePage
	e.do("GET", "/api/v1/devices?status=never,online", nil).want(t, 200).json(t, &never)
	if never.Total != 3 {
		t.Errorf("status filter: %+v", never)
	}

	// Patch: name and labels change, the rest stays.
	var patched deviceJSON
	e.do("PATCH", "/api/v1/devices/dev-1", map[string]any{"name": "Pump one", "labels": map[string]string{"site": "west"}}).
		want(t, 200).json(t, &patched)
	if patched.Name != "Pump one" || patched.Labels["site"] != "west" || patched.Endpoint != "dev-1" {
		t.Errorf("patched %+v", patched)
	}

	e.do("DELETE", "/api/v1/devices/dev-1", nil).want(t, http.StatusNoContent)
	e.do("GET", "/api/v1/devices/dev-1", nil).want(t, http.StatusNotFound)
	e.do("DELETE", "/api/v1/devices/dev-1", nil).want(t, http.StatusNotFound)
}

func TestDeviceValidation(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "dup"}).want(t, 201)
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"no endpoint", "POST", "/api/v1/devices", map[string]any{"name": "x"}, 400, "endpoint"},
		{"endpoint with a slash", "POST", "/api/v1/devices", map[string]any{"endpoint": "a/b"}, 400, "endpoint"},
		{"bad mode", "POST", "/api/v1/devices", map[string]any{"endpoint": "m", "credentials": map[string]any{"mode": "magic"}}, 400, "credentials.mode"},
		{"bad hex key", "POST", "/api/v1/devices", map[string]any{"endpoint": "k", "credentials": map[string]any{"mode": "psk", "psk_key": "zz"}}, 400, "credentials.psk_key"},
		{"x509 without certificate", "POST", "/api/v1/devices", map[string]any{"endpoint": "c", "credentials": map[string]any{"mode": "x509"}}, 400, "credentials.certificate"},
		{"unknown member", "POST", "/api/v1/devices", map[string]any{"endpoint": "u", "colour": "red"}, 400, "colour"},
		{"wrong type", "POST", "/api/v1/devices", map[string]any{"endpoint": 7}, 400, "endpoint"},
		{"malformed JSON", "POST", "/api/v1/devices", `{"endpoint": `, 400, "body"},
		{"unknown profile", "POST", "/api/v1/devices", map[string]any{"endpoint": "p", "profile": "nope"}, 400, "profile"},
		{"duplicate endpoint", "POST", "/api/v1/devices", map[string]any{"endpoint": "dup"}, 409, ""},
		{"bad limit", "GET", "/api/v1/devices?limit=abc", nil, 400, "limit"},
		{"limit too large", "GET", "/api/v1/devices?limit=5000", nil, 400, "limit"},
		{"bad status", "GET", "/api/v1/devices?status=sleepy", nil, 400, "status"},
		{"bad label", "GET", "/api/v1/devices?label=site", nil, 400, "label"},
		{"unknown profile filter", "GET", "/api/v1/devices?profile=nope", nil, 400, "profile"},
		{"unknown device", "GET", "/api/v1/devices/ghost", nil, 404, ""},
		{"patch unknown device", "PATCH", "/api/v1/devices/ghost", map[string]any{"name": "x"}, 404, ""},
		{"patch bad profile type", "PATCH", "/api/v1/devices/dup", map[string]any{"profile": true}, 400, "profile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body).want(t, c.status)
			p := r.problem(t)
			if p["status"] != float64(c.status) || p["title"] == "" || p["type"] == "" {
				t.Errorf("problem %v", p)
			}
			if c.field != "" && p["field"] != c.field {
				t.Errorf("field %v, want %q (%v)", p["field"], c.field, p["detail"])
			}
			if p["instance"] != strings.SplitN(c.path, "?", 2)[0] {
				t.Errorf("instance %v", p["instance"])
			}
		})
	}
	r := e.do("POST", "/api/v1/devices", `<xml/>`, "Content-Type", "application/xml").want(t, 415)
	if p := r.problem(t); p["type"] != "urn:shoal:problem:unsupported-media-type" {
		t.Errorf("415 problem %v", p)
	}
	big := `{"endpoint": "` + strings.Repeat("x", 2<<20) + `"}`
	e.do("POST", "/api/v1/devices", big).want(t, 413).problem(t)
}

func TestAuth(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, tok := range []string{"", "shoal_not_a_token"} {
		r := e.doToken(tok, "GET", "/api/v1/devices", nil).want(t, http.StatusUnauthorized)
		if p := r.problem(t); p["type"] != "urn:shoal:problem:unauthorized" {
			t.Errorf("token %q: problem %v", tok, p)
		}
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
		}
	}
	r := e.doToken("", "GET", "/api/v1/devices", nil, "Authorization", "Basic dXNlcjpwdw==").want(t, 401)
	r.problem(t)
	e.doToken("", "GET", "/metrics", nil).want(t, 401)
	e.doToken("", "GET", "/api/v1/openapi.json", nil).want(t, 401)
	var h map[string]string
	e.doToken("", "GET", "/healthz", nil).want(t, 200).json(t, &h)
	if h["status"] != "ok" {
		t.Errorf("healthz %v", h)
	}
	e.do("GET", "/api/v1/devices", nil).want(t, 200)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	e.do("GET", "/api/v1/openapi.json", nil).want(t, 200).json(t, &doc)
	if doc.OpenAPI == "" || doc.Paths["/api/v1/devices"] == nil {
		t.Errorf("served document: %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, envOpts{})
	if p := e.do("GET", "/api/v1/nothing-here", nil).want(t, 404).problem(t); p["type"] != "urn:shoal:problem:no-such-route" {
		t.Errorf("404 problem %v", p)
	}
	if p := e.do("PUT", "/api/v1/devices", nil).want(t, 405).problem(t); p["type"] != "urn:shoal:problem:method-not-allowed" {
		t.Errorf("405 problem %v", p)
	}
}
