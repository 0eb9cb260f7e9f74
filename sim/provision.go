package sim

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// APIProvisioner creates a fleet's devices and credentials in Shoal
// through the REST API: in batches through POST /api/v1/devices/import
// when the server has it, else with parallel POST /api/v1/devices. A
// device that already exists (409) counts as provisioned: runs can be
// repeated against the same server.
type APIProvisioner struct {
	// BaseURL is the API's root, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is the bearer token.
	Token string
	// Profile, when set, is given to every device.
	Profile string
	// HTTP is the client to use (default http.DefaultClient).
	HTTP *http.Client
	// Batch is the number of rows per import (default 1000); Parallel the
	// number of concurrent POSTs without import (default 16).
	Batch    int
	Parallel int
}

// ProvisionResult counts what provisioning did.
type ProvisionResult struct {
	Created  int
	Existing int
	// Imported is true when the bulk import route was used.
	Imported bool
}

type credentialsBody struct {
	Mode        string `json:"mode"`
	PSKIdentity string `json:"psk_identity,omitempty"`
	PSKKey      string `json:"psk_key,omitempty"`
}

type deviceBody struct {
	Endpoint    string          `json:"endpoint"`
	Profile     string          `json:"profile,omitempty"`
	Credentials credentialsBody `json:"credentials"`
}

type importAnswer struct {
	Results []struct {
		Row      int    `json:"row"`
		Endpoint string `json:"endpoint"`
		OK       bool   `json:"ok"`
		Error    string `json:"error"`
	} `json:"results"`
}

// errNoImport: the server has no bulk import route.
var errNoImport = errors.New("no import route")

// Provision creates every device in devs (with its credentials).
func (p *APIProvisioner) Provision(ctx context.Context, devs []Device) (ProvisionResult, error) {
	var res ProvisionResult
	if p.BaseURL == "" {
		return res, fmt.Errorf("%w: the API URL is required", ErrConfig)
	}
	bodies := make([]deviceBody, len(devs))
	for i, d := range devs {
		bodies[i] = deviceBody{Endpoint: d.Endpoint, Profile: p.Profile, Credentials: credentialsBody{Mode: d.Security}}
		if d.Security == "psk" {
			bodies[i].Credentials.PSKIdentity = d.PSKIdentity
			bodies[i].Credentials.PSKKey = hex.EncodeToString(d.PSKKey)
		}
	}
	batch := p.Batch
	if batch <= 0 {
		batch = 1000
	}
	var retry []deviceBody
	for start := 0; start < len(bodies); start += batch {
		chunk := bodies[start:min(start+batch, len(bodies))]
		failed, err := p.importBatch(ctx, chunk)
		if errors.Is(err, errNoImport) && start == 0 {
			retry = bodies // create them one by one
			break
		}
		if err != nil {
			return res, err
		}
		res.Imported = true
		res.Created += len(chunk) - len(failed)
		retry = append(retry, failed...)
	}
	// Rows an import refused are created one by one: their status code
	// tells "exists already" (fine) from real trouble.
	created, existing, err := p.postAll(ctx, retry)
	res.Created += created
	res.Existing += existing
	return res, err
}

// importBatch imports rows and returns those the server refused.
func (p *APIProvisioner) importBatch(ctx context.Context, rows []deviceBody) ([]deviceBody, error) {
	status, body, err := p.do(ctx, "/api/v1/devices/import", rows)
	if err != nil {
		return nil, err
	}
	switch {
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return nil, errNoImport
	case status != http.StatusOK && status != http.StatusCreated && status != http.StatusMultiStatus:
		return nil, fmt.Errorf("%w: import of %d devices: %s", ErrProvision, len(rows), problem(status, body))
	}
	var ans importAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("%w: import answer: %v", ErrProvision, err)
	}
	var failed []deviceBody
	for _, r := range ans.Results {
		if !r.OK && r.Row >= 1 && r.Row <= len(rows) {
			failed = append(failed, rows[r.Row-1])
		}
	}
	return failed, nil
}

// postAll creates rows with parallel POSTs; 409 means it exists.
func (p *APIProvisioner) postAll(ctx context.Context, rows []deviceBody) (created, existing int, err error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	workers := p.Parallel
	if workers <= 0 {
		workers = 16
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var nc, ne atomic.Int64
	var first error
	var once sync.Once
	next := make(chan deviceBody)
	var wg sync.WaitGroup
	for range min(workers, len(rows)) {
		wg.Go(func() {
			for row := range next {
				status, body, err := p.do(ctx, "/api/v1/devices", row)
				switch {
				case err != nil:
				case status == http.StatusCreated || status == http.StatusOK:
					nc.Add(1)
					continue
				case status == http.StatusConflict:
					ne.Add(1)
					continue
				default:
					err = fmt.Errorf("%w: create %s: %s", ErrProvision, row.Endpoint, problem(status, body))
				}
				once.Do(func() { first = err; cancel() })
			}
		})
	}
feed:
	for _, row := range rows {
		select {
		case next <- row:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return int(nc.Load()), int(ne.Load()), first
}

// do POSTs v as JSON and returns the status and body (at most 16 MiB).
func (p *APIProvisioner) do(ctx context.Context, path string, v any) (int, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.BaseURL, "/")+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if p.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.Token)
	}
	hc := p.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: POST %s: %v", ErrProvision, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: POST %s: reading the answer: %v", ErrProvision, path, err)
	}
	return resp.StatusCode, body, nil
}

// problem renders an error answer: an RFC 9457 problem's title and
// detail, else the start of the body.
func problem(status int, body []byte) string {
	var pb struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &pb) == nil && (pb.Title != "" || pb.Detail != "") {
		return fmt.Sprintf("%d %s: %s", status, pb.Title, pb.Detail)
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%d %s", status, s)
}
