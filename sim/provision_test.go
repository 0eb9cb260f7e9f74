package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// apiStandIn serves the two device-creation routes of Shoal's REST API as
// documented (POST /api/v1/devices and, optionally, /devices/import) over
// a real HTTP listener, keeping what it was given. It stands in until the
// real server can be started from a test (see TestProvisionRealAPI).
type apiStandIn struct {
	withImport bool
	token      string
	mu         sync.Mutex
	devices    map[string]deviceBody
	imports    int
	posts      int
}

func (a *apiStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":"a valid bearer token is required"}`))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/devices/import" && a.withImport:
		a.imports++
		var rows []deviceBody
		if err := json.NewDecoder(r.Body).Decode(&rows); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		type result struct {
			Row      int    `json:"row"`
			Endpoint string `json:"endpoint"`
			OK       bool   `json:"ok"`
			Error    string `json:"error,omitempty"`
		}
		var out struct {
			Results []result `json:"results"`
		}
		for i, row := range rows {
			res := result{Row: i + 1, Endpoint: row.Endpoint, OK: true}
			if _, dup := a.devices[row.Endpoint]; dup {
				res.OK, res.Error = false, "endpoint: already exists"
			} else {
				a.devices[row.Endpoint] = row
			}
			out.Results = append(out.Results, res)
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/devices":
		a.posts++
		var row deviceBody
		if err := json.NewDecoder(r.Body).Decode(&row); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, dup := a.devices[row.Endpoint]; dup {
			w.WriteHeader(http.StatusConflict)
			return
		}
		a.devices[row.Endpoint] = row
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{}`))
	case strings.HasPrefix(r.URL.Path, "/api/v1/devices/"):
		w.WriteHeader(http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

func testDevices(t *testing.T, n int) []Device {
	f, err := New(Config{ServerURI: "coaps://127.0.0.1:5684", Devices: n, Prefix: "prov-", PSKKey: []byte{1, 2, 3, 4},
		Models: lwm2mModels(), Codecs: lwm2mCodecs()})
	if err != nil {
		t.Fatal(err)
	}
	return f.Devices()
}

func TestProvisionByImportThenRepeat(t *testing.T) {
	api := &apiStandIn{withImport: true, token: "s3cret", devices: map[string]deviceBody{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	devs := testDevices(t, 250)
	p := &APIProvisioner{BaseURL: srv.URL, Token: "s3cret", Batch: 100, Profile: "demo"}
	res, err := p.Provision(context.Background(), devs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Imported || res.Created != 250 || res.Existing != 0 || api.imports != 3 || api.posts != 0 {
		t.Fatalf("first run %+v; imports %d posts %d", res, api.imports, api.posts)
	}
	got := api.devices["prov-042"]
	if got.Credentials.Mode != "psk" || got.Credentials.PSKIdentity != "prov-042" || got.Credentials.PSKKey != "01020304" || got.Profile != "demo" {
		t.Fatalf("stored %+v", got)
	}
	// Again: every row is refused by the import, then found to exist.
	res, err = p.Provision(context.Background(), devs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Existing != 250 || api.posts != 250 {
		t.Fatalf("second run %+v; posts %d", res, api.posts)
	}
}

func TestProvisionWithoutImportPostsInParallel(t *testing.T) {
	api := &apiStandIn{token: "t", devices: map[string]deviceBody{"prov-07": {}}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	res, err := (&APIProvisioner{BaseURL: srv.URL, Token: "t", Parallel: 4}).Provision(context.Background(), testDevices(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported || res.Created != 39 || res.Existing != 1 || len(api.devices) != 40 {
		t.Fatalf("%+v, %d devices", res, len(api.devices))
	}
}

func TestProvisionErrorsNameTheProblem(t *testing.T) {
	api := &apiStandIn{withImport: true, token: "right", devices: map[string]deviceBody{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	_, err := (&APIProvisioner{BaseURL: srv.URL, Token: "wrong"}).Provision(context.Background(), testDevices(t, 3))
	if !errors.Is(err, ErrProvision) || !strings.Contains(err.Error(), "401 Unauthorized: a valid bearer token is required") {
		t.Fatalf("wrong token: %v", err)
	}
	_, err = (&APIProvisioner{BaseURL: "http://127.0.0.1:1", Token: "x"}).Provision(context.Background(), testDevices(t, 3))
	if !errors.Is(err, ErrProvision) {
		t.Fatalf("nothing listening: %v", err)
	}
	if _, err := (&APIProvisioner{}).Provision(context.Background(), nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("no URL: %v", err)
	}
}

// TestFleetProvisionFailureStopsRun: a fleet whose provisioning fails
// starts no device and says why.
func TestFleetProvisionFailureStopsRun(t *testing.T) {
	f, err := New(Config{ServerURI: "coap://127.0.0.1:5683", Devices: 3, Models: lwm2mModels(), Codecs: lwm2mCodecs(),
		Provision: func(context.Context, []Device) error { return errors.New("api down") }})
	if err != nil {
		t.Fatal(err)
	}
	err = f.Run(context.Background())
	if !errors.Is(err, ErrProvision) || !strings.Contains(err.Error(), "api down") || f.Snapshot().Started != 0 {
		t.Fatalf("Run: %v, started %d", err, f.Snapshot().Started)
	}
}
