package web_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// The browser tests run the real assembly (app on SQLite, the LwM2M server
// over DTLS, the REST API with the console) and drive Debian's headless
// Chromium with chromedp. Without Chromium they skip, unless
// SHOAL_REQUIRE_BROWSER=1 (CI) makes that a failure.

const adminToken = "shoal_console_test_admin_token_0123456789"

// findChromium returns the browser's path, or skips (fails under
// SHOAL_REQUIRE_BROWSER=1) when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SHOAL_REQUIRE_BROWSER") == "1" {
		t.Fatal("SHOAL_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH: browser tests skipped (apt-get install chromium; SHOAL_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

// server is a running Shoal with a REST client for setting up scenarios.
type server struct {
	a    *app.App
	base string // http://127.0.0.1:port
	hc   *http.Client
}

func startServer(t testing.TB) *server {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DB = "sqlite://" + filepath.Join(cfg.DataDir, "shoal.db")
	cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = "", "127.0.0.1:0", "127.0.0.1:0"
	cfg.LogOutput, cfg.LogLevel = io.Discard, "error"
	if os.Getenv("SHOAL_TEST_LOG") != "" {
		cfg.LogOutput, cfg.LogLevel = os.Stderr, "debug"
	}
	cfg.AdminToken = adminToken
	cfg.RequestTimeout = 5 * time.Second
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("Run ended at start: %v", err)
	}
	return &server{a: a, base: "http://" + a.HTTPAddr().String(), hc: &http.Client{Timeout: 30 * time.Second}}
}

// call does one REST request as token and decodes the JSON answer into
// out; it fails the test unless the status is want.
func (s *server) call(t testing.TB, token, method, path string, body, out any, want int) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// get does a GET as the admin and fails unless it answers 200.
func (s *server) get(t testing.TB, path string) {
	t.Helper()
	s.call(t, adminToken, http.MethodGet, path, nil, nil, http.StatusOK)
}

// getJSON does a GET as the admin and decodes the answer into out.
func (s *server) getJSON(t testing.TB, path string, out any) {
	t.Helper()
	s.call(t, adminToken, http.MethodGet, path, nil, out, http.StatusOK)
}

// exists reports whether the server has a route (it does not answer 404
// no-such-route).
func (s *server) exists(t testing.TB, path string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct{ Type string }
	json.NewDecoder(resp.Body).Decode(&p)
	return !(resp.StatusCode == http.StatusNotFound && strings.HasSuffix(p.Type, "no-such-route"))
}

// createPSK creates a DTLS-PSK device and returns its key.
func (s *server) createPSK(t testing.TB, ep string, extra map[string]any) []byte {
	t.Helper()
	body := map[string]any{"endpoint": ep, "credentials": map[string]any{"mode": "psk"}}
	for k, v := range extra {
		body[k] = v
	}
	var created struct {
		PSKKey string `json:"psk_key"`
	}
	s.call(t, adminToken, http.MethodPost, "/devices", body, &created, http.StatusCreated)
	key, err := hex.DecodeString(created.PSKKey)
	if err != nil || len(key) == 0 {
		t.Fatalf("created %s: key %q", ep, created.PSKKey)
	}
	return key
}

// device runs a simulated LwM2M client (lwm2m/client) until cleanup.
func (s *server) device(t testing.TB, ep string, key []byte) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: ep, ServerURI: "coaps://" + s.a.CoAPSAddr().String(),
		PSKIdentity: ep, PSKKey: key, Models: objects.New(), Codecs: std.New(), Dialer: &client.CoAPDialer{},
		SimInterval: -1, RetryDelay: 100 * time.Millisecond, RequestTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

// browser is one headless Chromium; tab opens a fresh tab in it (its own
// session storage) and fails the test on any uncaught script error,
// console.error call or security (CSP) message.
type browser struct {
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := findChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("starting %s: %v", exe, err)
	}
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return &browser{ctx: bctx}
}

type tab struct {
	ctx  context.Context
	base string
	mu   sync.Mutex
	errs []string
}

func (b *browser) tab(t *testing.T, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tb := &tab{ctx: ctx, base: base}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError && (m.Source == "" || m.Source == "security") {
				tb.mu.Lock()
				tb.errs = append(tb.errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.errs {
			t.Errorf("script error in the console: %s", e)
		}
	})
	return tb
}

type action = chromedp.Action[chromedp.Void]

// run runs actions with a guard against hangs (not a timing assertion:
// every wait inside is for a condition).
func (tb *tab) run(t *testing.T, what string, actions ...action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		sctx, scancel := context.WithTimeout(tb.ctx, 10*time.Second)
		defer scancel()
		text, _ := chromedp.Run(sctx, chromedp.Evaluate[string]("document.querySelector('main').innerText"))
		if shot, _ := chromedp.Run(sctx, chromedp.CaptureScreenshot()); len(shot) > 0 {
			p := filepath.Join(os.TempDir(), "shoal-console-failure.png")
			_ = os.WriteFile(p, shot, 0o644)
			t.Logf("screenshot of the failure: %s", p)
		}
		t.Fatalf("%s: %v\npage text: %.2000s", what, err, text)
	}
}

// eval returns the value of a JavaScript expression in the page.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is truthy.
func waitJS(expr string) action {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(50*time.Second))
}

// waitText waits until the first element sel matches has text containing
// want.
func waitText(sel, want string) action {
	return waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want))
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// setValue sets a form control's value and tells the page it changed.
func setValue(sel, v string) action {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, v))
}

// click clicks the first element sel matches, once it is there.
func click(sel string) action { return chromedp.Click(css(sel)) }

// signIn opens the console and signs in with token.
func (tb *tab) signIn(t *testing.T, token string) {
	t.Helper()
	tb.run(t, "sign in",
		chromedp.Navigate(tb.base+"/"),
		chromedp.WaitVisible(css("#token")),
		chromedp.SendKeys(css("#token"), token),
		click(`form.signin button[type="submit"]`),
		chromedp.WaitVisible(css("#device-list")),
	)
}

// screenshot writes docs/console-<name>.png when SHOAL_UPDATE_SCREENSHOTS=1.
func (tb *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("SHOAL_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("..", "docs", "console-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", p)
}

// TestConsoleFirmware: an image uploaded through the API and a draft
// campaign over a device show on the firmware page — the image's row
// and the campaign's card with its progress and per-device status.
func TestConsoleFirmware(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t)
	s.createPSK(t, "web-fw", nil)
	req, err := http.NewRequest(http.MethodPost, s.base+"/api/v1/firmware?version=2.4.0&name=meter-fw",
		bytes.NewReader(bytes.Repeat([]byte("firmware"), 4096)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var img struct {
		ID int64 `json:"id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&img)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("upload: %d, %v", resp.StatusCode, err)
	}
	s.call(t, adminToken, http.MethodPost, "/campaigns", map[string]any{"name": "Spring rollout", "image_id": img.ID, "draft": true,
		"selection": map[string]any{"endpoints": []string{"web-fw"}}}, nil, http.StatusCreated)

	tb := b.tab(t, s.base)
	tb.signIn(t, adminToken)
	tb.run(t, "the firmware page",
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/firmware'`),
		waitText(`section[aria-labelledby="img-title"] table`, "meter-fw"),
		waitText(`section[aria-labelledby="img-title"] table`, "2.4.0"),
		waitText(`section[aria-labelledby="img-title"] table`, "32768 B"),
		waitText(`section[aria-labelledby="camp-title"] article h3`, "Spring rollout"),
		waitText(`section[aria-labelledby="camp-title"] article .badge`, "draft"),
		waitText(`section[aria-labelledby="camp-title"] article`, "0 of 1 devices done"),
		click(`section[aria-labelledby="camp-title"] article summary`),
		waitText(`section[aria-labelledby="camp-title"] article details table`, "web-fw"),
		waitText(`section[aria-labelledby="camp-title"] article details table`, "pending"),
	)
	tb.screenshot(t, "firmware")
}
