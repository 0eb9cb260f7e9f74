package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/shoal-iot/shoal/dm"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// TestFirmwareUploadStreamed uploads a 64 MiB + 1 byte image generated
// as it is sent (chunked, no Content-Length), with its digest: the image
// is stored with the right size and SHA-256, the server did not hold it
// in memory, and downloading it gives the same bytes.
func TestFirmwareUploadStreamed(t *testing.T) {
	e, _ := newFwEnv(t, nil)
	const size = 64<<20 + 1
	sum := patternSHA256(t, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := e.upload(e.token, url.Values{"version": {"2.0.0"}, "sha256": {strings.ToUpper(sum)}}, &patternReader{n: size}, -1)
	runtime.ReadMemStats(&after)
	r.want(t, http.StatusCreated)
	var img imageReply
	r.json(t, &img)
	if img.Size != size || img.SHA256 != sum || img.Version != "2.0.0" || img.Name != "2.0.0" {
		t.Fatalf("image %+v, want %d bytes with sha256 %s", img, size, sum)
	}
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/firmware/%d", img.ID) {
		t.Errorf("Location %q", loc)
	}
	// Client and server share this process: together they allocated far
	// less than the image, so neither side buffered it.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/2 {
		t.Errorf("the upload allocated %d bytes for a %d-byte image", alloc, size)
	}

	resp, err := e.hc.Do(authed(t, e, http.MethodGet, fmt.Sprintf("/api/v1/firmware/%d/content", img.ID)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || n != size || hex.EncodeToString(h.Sum(nil)) != sum {
		t.Fatalf("download: status %d, %d bytes, sha256 %x", resp.StatusCode, n, h.Sum(nil))
	}
	if resp.ContentLength != size || resp.Header.Get("ETag") != `"`+sum+`"` || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("download headers: length %d, %v", resp.ContentLength, resp.Header)
	}
}

func authed(t *testing.T, e *env, method, path string, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// TestFirmwareSHA256Mismatch: an image whose bytes do not match the given
// digest is refused with 400 naming sha256, and nothing is stored: no
// record, no file.
func TestFirmwareSHA256Mismatch(t *testing.T) {
	e, dir := newFwEnv(t, nil)
	body := strings.Repeat("firmware", 4096)
	wrong := strings.Repeat("ab", 32)
	for _, size := range []int64{int64(len(body)), -1} {
		r := e.upload(e.token, url.Values{"version": {"1.0"}, "sha256": {wrong}}, strings.NewReader(body), size).want(t, http.StatusBadRequest)
		p := r.problem(t)
		if p["field"] != "sha256" || !strings.Contains(fmt.Sprint(p["detail"]), wrong) {
			t.Errorf("problem %v", p)
		}
	}
	var pg struct {
		Items []imageReply `json:"items"`
		Total int64        `json:"total"`
	}
	e.do("GET", "/api/v1/firmware", nil).want(t, 200).json(t, &pg)
	if pg.Total != 0 || len(pg.Items) != 0 {
		t.Errorf("listed after a mismatch: %+v", pg)
	}
	if n := filesIn(t, dir); n != 0 {
		t.Errorf("%d files left in %s", n, dir)
	}
}

// TestFirmwareImages: upload with every piece of metadata, list (paged),
// get, download (whole, a range, If-None-Match), delete; bad uploads are
// named.
func TestFirmwareImages(t *testing.T) {
	e, dir := newFwEnv(t, func(c *dm.FirmwareConfig) { c.MaxImageSize = 1 << 20 })
	e.do("POST", "/api/v1/profiles", map[string]any{"name": "meters", "spec": map[string]any{}}).want(t, 201)
	var prof struct {
		ID int64 `json:"id"`
	}
	e.do("GET", "/api/v1/profiles/meters", nil).want(t, 200).json(t, &prof)

	data := []byte(strings.Repeat("0123456789abcdef", 1000))
	sum := sha256.Sum256(data)
	q := url.Values{"version": {"1.4.2"}, "name": {"meter-fw"}, "model": {"M-100", "M-200"}, "profile": {"meters"},
		"notes": {"fixes the clock drift"}, "sha256": {hex.EncodeToString(sum[:])}}
	var img imageReply
	e.upload(e.token, q, strings.NewReader(string(data)), int64(len(data))).want(t, 201).json(t, &img)
	if img.Name != "meter-fw" || img.Version != "1.4.2" || img.Size != int64(len(data)) || img.SHA256 != hex.EncodeToString(sum[:]) ||
		strings.Join(img.Models, ",") != "M-100,M-200" || len(img.ProfileIDs) != 1 || img.ProfileIDs[0] != prof.ID ||
		img.Notes != "fixes the clock drift" || img.CreatedAt.IsZero() {
		t.Fatalf("image %+v", img)
	}
	second := e.uploadBytes("1.5.0", []byte("tiny"), nil)

	var got imageReply
	e.do("GET", fmt.Sprintf("/api/v1/firmware/%d", img.ID), nil).want(t, 200).json(t, &got)
	if fmt.Sprint(got) != fmt.Sprint(img) {
		t.Errorf("get %+v, upload answered %+v", got, img)
	}
	var pg struct {
		Items []imageReply `json:"items"`
		Total int64        `json:"total"`
		Next  string       `json:"next"`
	}
	e.do("GET", "/api/v1/firmware?limit=1", nil).want(t, 200).json(t, &pg)
	if pg.Total != 2 || len(pg.Items) != 1 || pg.Items[0].ID != img.ID || pg.Next == "" {
		t.Fatalf("first page %+v", pg)
	}
	e.do("GET", "/api/v1/firmware?limit=1&cursor="+url.QueryEscape(pg.Next), nil).want(t, 200).json(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].ID != second || pg.Items[0].Models == nil || pg.Items[0].ProfileIDs == nil {
		t.Fatalf("second page %+v", pg)
	}

	content := fmt.Sprintf("/api/v1/firmware/%d/content", img.ID)
	r := e.do("GET", content, nil).want(t, 200)
	if string(r.body) != string(data) || r.header.Get("ETag") != `"`+img.SHA256+`"` {
		t.Fatalf("content: %d bytes, ETag %q", len(r.body), r.header.Get("ETag"))
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "meter-fw-1.4.2.bin") {
		t.Errorf("Content-Disposition %q", cd)
	}
	r = e.do("GET", content, nil, "Range", "bytes=16-31").want(t, http.StatusPartialContent)
	if string(r.body) != string(data[16:32]) || r.header.Get("Content-Range") != fmt.Sprintf("bytes 16-31/%d", len(data)) {
		t.Errorf("range: %q, %q", r.body, r.header.Get("Content-Range"))
	}
	e.do("GET", content, nil, "If-None-Match", `"`+img.SHA256+`"`).want(t, http.StatusNotModified)

	// Bad uploads.
	for _, c := range []struct {
		name   string
		q      url.Values
		hdr    []string
		body   string
		status int
		field  string
	}{
		{"no version", url.Values{"name": {"x"}}, nil, "abc", 400, "version"},
		{"unknown profile", url.Values{"version": {"1"}, "profile": {"nope"}}, nil, "abc", 400, "profile"},
		{"short digest", url.Values{"version": {"1"}, "sha256": {"abc"}}, nil, "abc", 400, "sha256"},
		{"empty", url.Values{"version": {"1"}}, nil, "", 400, "body"},
		{"JSON", url.Values{"version": {"1"}}, []string{"Content-Type", "application/json"}, "{}", 415, ""},
	} {
		r := e.upload(e.token, c.q, strings.NewReader(c.body), int64(len(c.body)), c.hdr...)
		if r.status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, r.status, c.status, r.body)
			continue
		}
		if p := r.problem(t); c.field != "" && p["field"] != c.field {
			t.Errorf("%s: field %v, want %s: %v", c.name, p["field"], c.field, p)
		}
	}
	// Too large, declared and streamed: 413 and nothing kept.
	big := strings.Repeat("x", 1<<20+1)
	e.upload(e.token, url.Values{"version": {"9"}}, strings.NewReader(big), int64(len(big))).want(t, http.StatusRequestEntityTooLarge).problem(t)
	e.upload(e.token, url.Values{"version": {"9"}}, strings.NewReader(big), -1).want(t, http.StatusRequestEntityTooLarge).problem(t)
	if n := filesIn(t, dir); n != 2 {
		t.Errorf("%d files stored, want the 2 images", n)
	}

	e.do("DELETE", fmt.Sprintf("/api/v1/firmware/%d", second), nil).want(t, 204)
	e.do("GET", fmt.Sprintf("/api/v1/firmware/%d", second), nil).want(t, 404).problem(t)
	e.do("GET", fmt.Sprintf("/api/v1/firmware/%d/content", second), nil).want(t, 404).problem(t)
	e.do("DELETE", fmt.Sprintf("/api/v1/firmware/%d", second), nil).want(t, 404)
	e.do("GET", "/api/v1/firmware/x", nil).want(t, 400)
	if n := filesIn(t, dir); n != 1 {
		t.Errorf("%d files after the delete, want 1", n)
	}
}
