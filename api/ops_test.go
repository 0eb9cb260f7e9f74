package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

type resultJSON struct {
	Endpoint string `json:"endpoint"`
	Op       string `json:"op"`
	Path     string `json:"path"`
	Code     string `json:"code"`
	Format   string `json:"format"`
	Content  *struct {
		Kind      string            `json:"kind"`
		ID        int               `json:"id"`
		Type      string            `json:"type"`
		Value     any               `json:"value"`
		Resources []json_node_value `json:"resources"`
	} `json:"content"`
	Records []struct {
		Path  string `json:"path"`
		Type  string `json:"type"`
		Value any    `json:"value"`
	} `json:"records"`
	Links []struct {
		Target string         `json:"target"`
		Params map[string]any `json:"params"`
	} `json:"links"`
	Location string `json:"location"`
}

type json_node_value struct {
	Kind  string `json:"kind"`
	ID    int    `json:"id"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// TestOperationsOnAwakeDevice drives every LwM2M operation route against
// a real device registered over DTLS-PSK.
func TestOperationsOnAwakeDevice(t *testing.T) {
	e := newEnv(t, envOpts{})
	d := e.startDevice("meter-1", nil)
	e.waitStatus("meter-1", "online")
	if err := d.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(77)); err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/devices/meter-1"
	var dev struct {
		Registration struct {
			Transport string `json:"transport"`
			Security  string `json:"security"`
			Identity  string `json:"identity"`
		} `json:"registration"`
	}
	e.do("GET", base, nil).want(t, 200).json(t, &dev)
	if r := dev.Registration; r.Transport != "dtls" || r.Security != "psk" || r.Identity == "" {
		t.Fatalf("registration: %+v", r)
	}

	var rd resultJSON
	e.do("GET", base+"/lwm2m/3/0/9", nil).want(t, 200).json(t, &rd)
	if rd.Code != "2.05" || rd.Content == nil || rd.Content.Type != "integer" || rd.Content.Value != float64(77) {
		t.Fatalf("read /3/0/9: %+v", rd)
	}
	var inst resultJSON
	e.do("GET", base+"/lwm2m/3/0?format=senml-json", nil).want(t, 200).json(t, &inst)
	if inst.Format != "senml-json" || inst.Content == nil || inst.Content.Kind != "instance" || len(inst.Content.Resources) < 5 {
		t.Fatalf("read /3/0 as senml-json: %+v", inst)
	}

	// Write, then read back; the natural form is coerced to the type.
	var wr resultJSON
	e.do("PUT", base+"/lwm2m/3/0/14", map[string]any{"value": "+02:00"}).want(t, 200).json(t, &wr)
	if wr.Code != "2.04" {
		t.Fatalf("write: %+v", wr)
	}
	if v, _ := d.c.Get(lwm2m.MustPath("/3/0/14")); v.Str() != "+02:00" {
		t.Fatalf("device holds %v after the write", v)
	}
	e.do("PATCH", base+"/lwm2m/3/0", map[string]any{"15": "Europe/Oslo"}).want(t, 200)
	if v, _ := d.c.Get(lwm2m.MustPath("/3/0/15")); v.Str() != "Europe/Oslo" {
		t.Fatalf("device holds %v after the partial update", v)
	}
	p := e.do("PUT", base+"/lwm2m/3/0/13", map[string]any{"value": "yesterday"}).want(t, 400).problem(t)
	if p["field"] != "value" || p["path"] != "/3/0/13" {
		t.Errorf("bad time: %v", p)
	}

	// Execute with arguments, and a device error answer.
	e.do("POST", base+"/lwm2m/3/0/12", "", "Content-Type", "text/plain").want(t, 200)
	p = e.do("POST", base+"/lwm2m/3/0/12", "0='a b'", "Content-Type", "text/plain").want(t, 400).problem(t)
	if p["field"] != "args" {
		t.Errorf("bad args: %v", p)
	}
	p = e.do("POST", base+"/lwm2m/3/0/1", nil).want(t, http.StatusMethodNotAllowed).problem(t)
	if p["type"] != "urn:shoal:problem:device-error" || p["lwm2m_code"] != "4.05" {
		t.Errorf("execute of a readable resource: %v", p)
	}
	p = e.do("GET", base+"/lwm2m/3/0/99", nil).want(t, 404).problem(t)
	if p["type"] != "urn:shoal:problem:device-error" || p["lwm2m_code"] != "4.04" {
		t.Errorf("read of a missing resource: %v", p)
	}
	p = e.do("GET", base+"/lwm2m/3/x/1", nil).want(t, 400).problem(t)
	if p["field"] != "path" || p["type"] != "urn:shoal:problem:invalid-input" {
		t.Errorf("malformed path: %v", p)
	}
	p = e.do("GET", base+"/lwm2m/3/0/9?format=carrier-pigeon", nil).want(t, 400).problem(t)
	if p["field"] != "format" {
		t.Errorf("bad format: %v", p)
	}

	// Discover, write-attributes (body and query), observe and cancel.
	var disc resultJSON
	e.do("GET", base+"/discover/3/0", nil).want(t, 200).json(t, &disc)
	if len(disc.Links) == 0 || !strings.HasPrefix(disc.Links[0].Target, "/3/0") {
		t.Fatalf("discover: %+v", disc)
	}
	e.do("PUT", base+"/attributes/3/0/9", map[string]any{"pmin": 1, "pmax": 60}).want(t, 200)
	if a := d.c.Attributes(lwm2m.MustPath("/3/0/9")); a.Pmax == nil || *a.Pmax != 60 {
		t.Fatalf("device attributes after write-attributes: %+v", a)
	}
	e.do("PUT", base+"/attributes/3/0/9?pmax", nil).want(t, 200)
	if a := d.c.Attributes(lwm2m.MustPath("/3/0/9")); a.Pmax != nil {
		t.Fatalf("pmax not cleared: %+v", a)
	}
	p = e.do("PUT", base+"/attributes/3/0/9", map[string]any{"gt": 10, "lt": 20}).want(t, 400).problem(t)
	if p["field"] != "body" || !strings.Contains(p["detail"].(string), "lt") {
		t.Errorf("inconsistent attributes: %v", p)
	}
	var obs resultJSON
	e.do("POST", base+"/observe/3/0/9", nil).want(t, 200).json(t, &obs)
	if obs.Content == nil || obs.Content.Value != float64(77) {
		t.Fatalf("observe: %+v", obs)
	}
	e.do("DELETE", base+"/observe/3/0/9", nil).want(t, 200)

	// Composite read, write and observe.
	var comp resultJSON
	e.do("GET", base+"/composite?path=/3/0/9&path=/3/0/14", nil).want(t, 200).json(t, &comp)
	if len(comp.Records) != 2 {
		t.Fatalf("read-composite: %+v", comp)
	}
	e.do("PATCH", base+"/composite", map[string]any{"values": map[string]any{"/3/0/14": "+03:00", "/3/0/15": "Europe/Kyiv"}}).want(t, 200)
	if v, _ := d.c.Get(lwm2m.MustPath("/3/0/15")); v.Str() != "Europe/Kyiv" {
		t.Fatalf("after write-composite: %v", v)
	}
	p = e.do("PATCH", base+"/composite", map[string]any{"values": map[string]any{"/3/0/13": "soon"}}).want(t, 400).problem(t)
	if p["field"] != "values./3/0/13" {
		t.Errorf("bad composite value: %v", p)
	}
	e.do("POST", base+"/composite/observe", map[string]any{"paths": []string{"/3/0/9", "/3/0/10"}}).want(t, 200)
	e.do("DELETE", base+"/composite/observe?path=/3/0/9,/3/0/10", nil).want(t, 200)
	p = e.do("GET", base+"/composite", nil).want(t, 400).problem(t)
	if p["field"] != "path" {
		t.Errorf("composite without paths: %v", p)
	}

	// The same through the generic command body.
	var cmd resultJSON
	e.do("POST", base+"/commands", map[string]any{"op": "read", "path": "/3/0/9"}).want(t, 200).json(t, &cmd)
	if cmd.Code != "2.05" || cmd.Content == nil {
		t.Fatalf("command read: %+v", cmd)
	}
	e.do("POST", base+"/commands", map[string]any{"op": "write", "path": "/3/0/14", "value": "+04:00"}).want(t, 200)
	if v, _ := d.c.Get(lwm2m.MustPath("/3/0/14")); v.Str() != "+04:00" {
		t.Fatalf("after command write: %v", v)
	}
	p = e.do("POST", base+"/commands", map[string]any{"op": "teleport", "path": "/3/0"}).want(t, 400).problem(t)
	if p["field"] != "op" {
		t.Errorf("bad op: %v", p)
	}

	// Unknown device.
	p = e.do("GET", "/api/v1/devices/ghost/lwm2m/3/0/9", nil).want(t, 404).problem(t)
	if p["type"] != "urn:shoal:problem:not-found" {
		t.Errorf("unknown device: %v", p)
	}
}

// TestDeviceTimeout silences a registered device: a read answers 504.
func TestDeviceTimeout(t *testing.T) {
	e := newEnv(t, envOpts{})
	d := e.startDevice("quiet-1", nil)
	e.waitStatus("quiet-1", "online")
	d.mute.Store(true)
	p := e.do("GET", "/api/v1/devices/quiet-1/lwm2m/3/0/9?timeout=300ms&queue=false", nil).want(t, 504).problem(t)
	if p["type"] != "urn:shoal:problem:device-timeout" {
		t.Errorf("timeout problem: %v", p)
	}
	p = e.do("GET", "/api/v1/devices/quiet-1/lwm2m/3/0/9?timeout=1h", nil).want(t, 400).problem(t)
	if p["field"] != "timeout" {
		t.Errorf("timeout above the cap: %v", p)
	}
}
