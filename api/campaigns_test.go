package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestCampaignLifecycle: a draft campaign over three devices shows every
// state counted; its image cannot be deleted while it exists; start,
// pause, resume and cancel move it (409 where the state forbids); its
// devices are listed and filtered by state; a running campaign cannot be
// deleted, a cancelled one can, and then so can its image.
func TestCampaignLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) { campaignLifecycle(t, newFwEnvOn(t, b)) })
}

func campaignLifecycle(t *testing.T, e *env) {
	for _, ep := range []string{"fw-1", "fw-2", "fw-3"} {
		e.do("POST", "/api/v1/devices", map[string]any{"endpoint": ep, "labels": map[string]string{"site": "north"}}).want(t, 201)
	}
	img := e.uploadBytes("3.1.0", []byte("new firmware"), nil)

	var c campaignReply
	r := e.do("POST", "/api/v1/campaigns", map[string]any{"name": "north", "image_id": img, "selection": map[string]any{"labels": map[string]string{"site": "north"}},
		"concurrency": 2, "method": "push", "waves": []int{1}, "wave_delay": "30s", "draft": true}).want(t, 201)
	r.json(t, &c)
	if c.State != "draft" || c.Total != 3 || c.Concurrency != 2 || c.Method != "push" || c.WaveDelay != "30s" || c.Image.ID != img || c.Image.Version != "3.1.0" {
		t.Fatalf("campaign %+v", c)
	}
	if r.header.Get("Location") != fmt.Sprintf("/api/v1/campaigns/%d", c.ID) {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	for _, st := range []string{"pending", "downloading", "downloaded", "updating", "succeeded", "failed", "cancelled", "skipped"} {
		want := int64(0)
		if st == "pending" {
			want = 3
		}
		if n, ok := c.Counts[st]; !ok || n != want {
			t.Errorf("counts[%s] = %d (present %v), want %d: %v", st, n, ok, want, c.Counts)
		}
	}
	path := fmt.Sprintf("/api/v1/campaigns/%d", c.ID)
	e.do("DELETE", fmt.Sprintf("/api/v1/firmware/%d", img), nil).want(t, http.StatusConflict).problem(t)

	var devs struct {
		Items []map[string]any `json:"items"`
		Total int64            `json:"total"`
	}
	e.do("GET", path+"/devices?limit=2", nil).want(t, 200).json(t, &devs)
	if devs.Total != 3 || len(devs.Items) != 2 || devs.Items[0]["endpoint"] != "fw-1" || devs.Items[0]["state"] != "pending" {
		t.Fatalf("devices %+v", devs)
	}
	if devs.Items[1]["wave"] != float64(1) {
		t.Errorf("the second device is in wave %v, want 1", devs.Items[1]["wave"])
	}
	e.do("GET", path+"/devices?state=failed,succeeded", nil).want(t, 200).json(t, &devs)
	if devs.Total != 0 || len(devs.Items) != 0 {
		t.Errorf("failed devices %+v", devs)
	}
	e.do("GET", path+"/devices?state=broken", nil).want(t, 400)

	step := func(verb string, status int, state string) {
		t.Helper()
		r := e.do("POST", path+"/"+verb, nil).want(t, status)
		if status != 200 {
			r.problem(t)
			return
		}
		var v campaignReply
		r.json(t, &v)
		if v.State != state || v.ID != c.ID || v.Total != 3 {
			t.Fatalf("%s: %+v, want state %s", verb, v, state)
		}
	}
	step("pause", 409, "")
	step("start", 200, "running")
	e.do("DELETE", path, nil).want(t, http.StatusConflict).problem(t)
	step("pause", 200, "paused")
	step("start", 409, "")
	step("resume", 200, "running")
	step("cancel", 200, "cancelled")
	step("resume", 409, "")

	e.do("GET", path+"/devices?state=cancelled", nil).want(t, 200).json(t, &devs)
	if devs.Total != 3 {
		t.Errorf("%d devices cancelled, want 3: %+v", devs.Total, devs)
	}
	var jobs struct {
		Items []map[string]any `json:"items"`
	}
	e.do("GET", "/api/v1/devices/fw-2/firmware", nil).want(t, 200).json(t, &jobs)
	if len(jobs.Items) != 1 || jobs.Items[0]["campaign_id"] != float64(c.ID) || jobs.Items[0]["state"] != "cancelled" {
		t.Errorf("fw-2's jobs %+v", jobs)
	}
	var list struct {
		Items []campaignReply `json:"items"`
		Total int64           `json:"total"`
	}
	e.do("GET", "/api/v1/campaigns", nil).want(t, 200).json(t, &list)
	if list.Total != 1 || len(list.Items) != 1 || list.Items[0].Counts["cancelled"] != 3 || list.Items[0].Image.ID != img {
		t.Errorf("list %+v", list)
	}

	e.do("DELETE", path, nil).want(t, 204)
	e.do("GET", path, nil).want(t, 404).problem(t)
	e.do("DELETE", fmt.Sprintf("/api/v1/firmware/%d", img), nil).want(t, 204)
}

// TestCampaignBadInput: what the body or the store refuses is a 400
// naming the member.
func TestCampaignBadInput(t *testing.T) {
	e, _ := newFwEnv(t, nil)
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "only"}).want(t, 201)
	img := e.uploadBytes("1", []byte("x"), nil)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no image", map[string]any{"name": "x", "image_id": 999, "selection": map[string]any{"endpoints": []string{"only"}}}, "image_id"},
		{"no device", map[string]any{"name": "x", "image_id": img, "selection": map[string]any{"endpoints": []string{"ghost"}}}, "selection"},
		{"no profile", map[string]any{"name": "x", "image_id": img, "selection": map[string]any{"profile": "ghost"}}, "selection.profile"},
		{"concurrency", map[string]any{"name": "x", "image_id": img, "selection": map[string]any{"endpoints": []string{"only"}}, "concurrency": -1}, "concurrency"},
		{"stop before start", map[string]any{"name": "x", "image_id": img, "selection": map[string]any{"endpoints": []string{"only"}},
			"start_after": "2026-05-02T00:00:00Z", "stop_after": "2026-05-01T00:00:00Z"}, "stop_after"},
		{"method", map[string]any{"name": "x", "image_id": img, "selection": map[string]any{"endpoints": []string{"only"}}, "method": "ftp"}, "method"},
	} {
		p := e.do("POST", "/api/v1/campaigns", c.body).want(t, 400).problem(t)
		if p["field"] != c.field {
			t.Errorf("%s: field %v, want %s: %v", c.name, p["field"], c.field, p)
		}
	}
	e.do("POST", "/api/v1/campaigns", "not json").want(t, 400)
	e.do("POST", "/api/v1/campaigns/999/start", nil).want(t, 404)
	e.do("GET", "/api/v1/campaigns/0", nil).want(t, 400)
}

// TestFirmwareCustomer: a customer may not see or manage images and
// campaigns (403), reads its own device's firmware jobs, and another
// customer's device reads as missing (404).
func TestFirmwareCustomer(t *testing.T) {
	e, _ := newFwEnv(t, nil)
	custA, custB := e.customer("Alpha"), e.customer("Beta")
	tokA := e.customerToken(custA)
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "a-1", "customer": custA}).want(t, 201)
	e.do("POST", "/api/v1/devices", map[string]any{"endpoint": "b-1", "customer": custB}).want(t, 201)
	img := e.uploadBytes("1.0", []byte("image"), nil)
	var c campaignReply
	e.do("POST", "/api/v1/campaigns", map[string]any{"name": "all", "image_id": img, "draft": true,
		"selection": map[string]any{"endpoints": []string{"a-1", "b-1"}}}).want(t, 201).json(t, &c)

	for _, rq := range []struct{ method, path string }{
		{"GET", "/api/v1/firmware"}, {"GET", fmt.Sprintf("/api/v1/firmware/%d", img)},
		{"GET", fmt.Sprintf("/api/v1/firmware/%d/content", img)}, {"DELETE", fmt.Sprintf("/api/v1/firmware/%d", img)},
		{"GET", "/api/v1/campaigns"}, {"GET", fmt.Sprintf("/api/v1/campaigns/%d", c.ID)},
		{"GET", fmt.Sprintf("/api/v1/campaigns/%d/devices", c.ID)}, {"POST", fmt.Sprintf("/api/v1/campaigns/%d/start", c.ID)},
		{"POST", fmt.Sprintf("/api/v1/campaigns/%d/cancel", c.ID)}, {"DELETE", fmt.Sprintf("/api/v1/campaigns/%d", c.ID)},
	} {
		if r := e.doToken(tokA, rq.method, rq.path, nil); r.status != 403 {
			t.Errorf("%s %s as a customer: %d, want 403: %s", rq.method, rq.path, r.status, r.body)
		}
	}
	e.doToken(tokA, "POST", "/api/v1/campaigns", map[string]any{"name": "mine", "image_id": img,
		"selection": map[string]any{"endpoints": []string{"a-1"}}}).want(t, 403)
	if r := e.upload(tokA, map[string][]string{"version": {"6.6.6"}}, strings.NewReader("evil"), 4); r.status != 403 {
		t.Errorf("upload as a customer: %d", r.status)
	}
	var jobs struct {
		Items []map[string]any `json:"items"`
	}
	e.doToken(tokA, "GET", "/api/v1/devices/a-1/firmware", nil).want(t, 200).json(t, &jobs)
	if len(jobs.Items) != 1 || jobs.Items[0]["endpoint"] != "a-1" || jobs.Items[0]["state"] != "pending" {
		t.Errorf("a-1's jobs as its customer: %+v", jobs)
	}
	e.doToken(tokA, "GET", "/api/v1/devices/b-1/firmware", nil).want(t, 404)
	e.doToken(tokA, "GET", "/api/v1/devices/nobody/firmware", nil).want(t, 404)
}

// TestPackageUnknownToken: the HTTP pull answers an unknown or malformed
// token with a 404 problem, GET and HEAD alike, and needs no bearer token.
func TestPackageUnknownToken(t *testing.T) {
	e, _ := newFwEnv(t, nil)
	for _, tok := range []string{"AAAAAAAAAAAAAAAAAAAAAA", "short", strings.Repeat("z", 300)} {
		r := e.doToken("", "GET", "/fw/"+tok, nil).want(t, 404)
		if p := r.problem(t); !strings.Contains(fmt.Sprint(p["detail"]), "token") {
			t.Errorf("problem %v", p)
		}
		e.doToken("", "HEAD", "/fw/"+tok, nil).want(t, 404)
	}
	e.doToken("", "POST", "/fw/AAAAAAAAAAAAAAAAAAAAAA", nil).want(t, 405)
}
