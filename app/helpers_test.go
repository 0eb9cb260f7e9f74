package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage/storetest"
)

var dbgOut io.Writer = io.Discard

// running is an App serving on 127.0.0.1 with its REST client.
type running struct {
	a     *app.App
	base  string
	token string
	http  *http.Client
}

// testConfig is a config for an App on loopback ports chosen by the OS.
func testConfig(t testing.TB, dsn string) app.Config {
	cfg := app.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DB = dsn
	cfg.CoAPAddr, cfg.CoAPSAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.LogOutput = dbgOut
	cfg.LogLevel = "warn"
	cfg.AwakeWindow = 500 * time.Millisecond
	cfg.RequestTimeout = 5 * time.Second
	cfg.AllowNoSec = true
	return cfg
}

// start runs an App and stops it at cleanup.
func start(t testing.TB, cfg app.Config) *running {
	t.Helper()
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
	tok := a.AdminToken()
	if cfg.AdminToken != "" {
		tok = cfg.AdminToken
	}
	return &running{a: a, base: "http://" + a.HTTPAddr().String() + "/api/v1", token: tok, http: &http.Client{Timeout: 30 * time.Second}}
}

// call does one REST request and decodes a JSON answer into out (when
// non-nil); it returns the status.
func (r *running) call(t testing.TB, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// must is call expecting status want.
func (r *running) must(t testing.TB, want int, method, path string, body any, out any) {
	t.Helper()
	var raw json.RawMessage
	got := r.call(t, method, path, body, &raw)
	if got != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, raw, err)
		}
	}
}

// sse reads a Server-Sent Events stream.
type sse struct {
	events chan sseEvent
	cancel context.CancelFunc
}

type sseEvent struct {
	Name string
	Data json.RawMessage
}

func (r *running) stream(t testing.TB, query string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/events?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events stream: %d", resp.StatusCode)
	}
	s := &sse{events: make(chan sseEvent, 1024), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Data != nil {
					select {
					case s.events <- ev:
					default:
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = json.RawMessage(strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	t.Cleanup(cancel)
	return s
}

// next returns the first event whose data satisfies match.
func (s *sse) next(t testing.TB, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended before %s", what)
			}
			var m map[string]any
			if json.Unmarshal(ev.Data, &m) == nil && match(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s on the stream", what)
		}
	}
}

// device runs an lwm2m/client until cleanup.
func device(t testing.TB, cfg client.Config) *client.Client {
	t.Helper()
	cfg.Models, cfg.Codecs, cfg.Dialer = objects.New(), std.New(), &client.CoAPDialer{}
	cfg.SimInterval, cfg.RetryDelay = -1, 100*time.Millisecond
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 3 * time.Second
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eachBackend runs f on SQLite and PostgreSQL.
func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, storetest.SQLite().NewDSN(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, storetest.Postgres(t).NewDSN(t)) })
}
