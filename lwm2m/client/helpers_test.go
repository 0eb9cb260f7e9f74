package client

import (
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

var testStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testCodecs() *codec.Registry {
	return std.New()
}

// newTestClient returns a client on a manual clock, not running.
func newTestClient(t testing.TB, mod func(*Config)) (*Client, *ManualClock) {
	t.Helper()
	clk := NewManualClock(testStart)
	cfg := Config{
		Endpoint:    "dev-1",
		ServerURI:   "coap://127.0.0.1:5683",
		Models:      objects.New(),
		Codecs:      testCodecs(),
		Clock:       clk,
		SimInterval: -1,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, clk
}

// wantCode checks that err is a *lwm2m.Status with the given code.
func wantCode(t testing.TB, err error, code lwm2m.Code) {
	t.Helper()
	got, ok := lwm2m.StatusCode(err)
	if code.IsSuccess() {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return
	}
	if !ok || got != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func u32(v uint32) *uint32   { return &v }
func f64(v float64) *float64 { return &v }
