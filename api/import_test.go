package api_test

import (
	"strings"
	"testing"
)

type importReport struct {
	Created int `json:"created"`
	Failed  int `json:"failed"`
	Results []struct {
		Row      int    `json:"row"`
		Endpoint string `json:"endpoint"`
		OK       bool   `json:"ok"`
		Error    string `json:"error"`
		PSKKey   string `json:"psk_key"`
	} `json:"results"`
}

func TestImportCSV(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "taken"}).want(t, 201)
	csv := "endpoint,name,labels,mode,psk_identity,psk_key\n" +
		"imp-1,First,site=a;floor=2,,,\n" +
		"imp-2,Second,,psk,imp-2-id,00112233445566778899aabbccddeeff\n" +
		"taken,Dup,,,,\n" +
		"imp-4,Bad key,,psk,,xyz\n" +
		"imp-5,Short\n" +
		"imp-6,Nosec,,nosec,,\n"
	var rep importReport
	e.do("POST", "/api/v1/devices/import", csv, "Content-Type", "text/csv").want(t, 200).json(t, &rep)
	if rep.Created != 3 || rep.Failed != 3 || len(rep.Results) != 6 {
		t.Fatalf("report: %+v", rep)
	}
	want := []struct {
		ep    string
		ok    bool
		key   bool
		error string
	}{
		{"imp-1", true, true, ""}, {"imp-2", true, false, ""}, {"taken", false, false, "conflict"},
		{"imp-4", false, false, "psk_key"}, {"imp-5", false, false, "fields"}, {"imp-6", true, false, ""},
	}
	for i, w := range want {
		r := rep.Results[i]
		if r.Row != i+1 || r.Endpoint != w.ep || r.OK != w.ok || (r.PSKKey != "") != w.key || !strings.Contains(r.Error, w.error) {
			t.Errorf("row %d: %+v, want %+v", i+1, r, w)
		}
	}
	var d deviceJSON
	e.do("GET", "/api/v1/devices/imp-1", nil).want(t, 200).json(t, &d)
	if d.Name != "First" || d.Labels["floor"] != "2" {
		t.Errorf("imported device: %+v", d)
	}

	for body, field := range map[string]string{
		"":                         "body",
		"name,colour\nx,red\n":     "header",
		"name,labels\nx,a=1\n":     "header",
		"endpoint,endpoint\na,b\n": "header",
	} {
		if p := e.do("POST", "/api/v1/devices/import", body, "Content-Type", "text/csv").want(t, 400).problem(t); p["field"] != field {
			t.Errorf("csv %q: %v", body, p)
		}
	}
	e.do("POST", "/api/v1/devices/import", "x", "Content-Type", "application/xml").want(t, 415)
}

func TestImportJSON(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := `[{"endpoint": "j-1", "labels": {"k": "v"}},
	          {"endpoint": "j-2", "credentials": {"mode": "x509"}},
	          {"endpoint": "j-3", "colour": "red"},
	          {"endpoint": "j-1"}]`
	var rep importReport
	e.do("POST", "/api/v1/devices/import", body, "Content-Type", "application/json").want(t, 200).json(t, &rep)
	if rep.Created != 1 || rep.Failed != 3 {
		t.Fatalf("report: %+v", rep)
	}
	for i, frag := range []string{"", "[1].credentials.certificate", "[2].colour", "conflict"} {
		if !strings.Contains(rep.Results[i].Error, frag) {
			t.Errorf("row %d: error %q, want it to mention %q", i+1, rep.Results[i].Error, frag)
		}
	}
	var wrapped importReport
	e.do("POST", "/api/v1/devices/import", `{"devices": [{"endpoint": "j-9"}]}`).want(t, 200).json(t, &wrapped)
	if wrapped.Created != 1 {
		t.Fatalf("wrapped: %+v", wrapped)
	}
	if p := e.do("POST", "/api/v1/devices/import", `{"devices": 7}`).want(t, 400).problem(t); p["field"] != "body" {
		t.Errorf("devices not a list: %v", p)
	}
}
