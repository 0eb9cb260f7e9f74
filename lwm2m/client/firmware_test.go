package client

import (
	"context"
	"crypto/sha256"

	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

var image = []byte("shoal firmware image v2 -- pretend this is a binary")

// waitFW waits until the download goroutine has handed its result back.
func waitFW(t *testing.T, c *Client) (state, result int64) {
	t.Helper()
	for i := 0; ; i++ {
		st := c.Status()
		if st.FirmwareState != FWDownloading {
			return st.FirmwareState, st.FirmwareResult
		}
		c.mu.Lock() // the goroutine needs the lock: yield to it
		c.mu.Unlock()
		if i > 1e7 {
			t.Fatal("download never finished")
		}
	}
}

func fwServer(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/fw.bin" {
			http.NotFound(w, r)
			return
		}
		w.Write(image)
	}))
	t.Cleanup(s.Close)
	return s
}

func writeText(t *testing.T, c *Client, path, text string) *coap.Message {
	return serve(t, c, req(coap.PUT, path, lwm2m.FormatText, []byte(text)))
}

func TestFirmwarePullHTTP(t *testing.T) {
	srv := fwServer(t)
	sum := sha256.Sum256(image)
	for _, tc := range []struct {
		name    string
		mod     func(*Config)
		uri     string
		state   int64
		result  int64
		version string
	}{
		{"success with digest", func(c *Config) { c.Firmware.SHA256 = sum[:]; c.Firmware.NewVersion = "2.0.0" }, srv.URL + "/fw.bin", FWDownloaded, FWResultInitial, "2.0.0"},
		{"digest in URI", nil, srv.URL + "/fw.bin?sha256=" + fmt.Sprintf("%x", sum), FWDownloaded, FWResultInitial, ""},
		{"wrong digest", func(c *Config) { c.Firmware.SHA256 = make([]byte, 32) }, srv.URL + "/fw.bin", FWIdle, FWResultIntegrity, ""},
		{"injected integrity", func(c *Config) { c.Firmware.Failure = FailIntegrity }, srv.URL + "/fw.bin", FWIdle, FWResultIntegrity, ""},
		{"injected out of memory", func(c *Config) { c.Firmware.Failure = FailOutOfMemory }, srv.URL + "/fw.bin", FWIdle, FWResultOutOfRAM, ""},
		{"injected connection lost", func(c *Config) { c.Firmware.Failure = FailConnectionLost }, srv.URL + "/fw.bin", FWIdle, FWResultConnectionLost, ""},
		{"too big", func(c *Config) { c.Firmware.MaxSize = 10 }, srv.URL + "/fw.bin", FWIdle, FWResultNoFlash, ""},
		{"404", nil, srv.URL + "/nope", FWIdle, FWResultConnectionLost, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, tc.mod)
			wantResp(t, writeText(t, c, "/5/0/1", tc.uri), lwm2m.CodeChanged)
			st, res := waitFW(t, c)
			if st != tc.state || res != tc.result {
				t.Fatalf("state %d result %d, want %d %d", st, res, tc.state, tc.result)
			}
			if st != FWDownloaded {
				return
			}
			// Update: state 3, then the simulated reboot installs it.
			wantResp(t, serve(t, c, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
			if s := c.Status(); s.FirmwareState != FWUpdating || !c.reboot {
				t.Fatalf("after update: %+v reboot=%v", s, c.reboot)
			}
			c.doReboot()
			s := c.Status()
			if s.FirmwareState != FWIdle || s.FirmwareResult != FWResultSuccess {
				t.Fatalf("after reboot: %+v", s)
			}
			v, _ := c.Get(lwm2m.MustPath("/3/0/3"))
			want := tc.version
			if want == "" {
				want = fmt.Sprintf("fw-%x", sum[:4])
			}
			if v.Str() != want {
				t.Fatalf("firmware version %q, want %q", v.Str(), want)
			}
		})
	}
}

func TestFirmwareURIRefusals(t *testing.T) {
	c, _ := newTestClient(t, nil)
	wantResp(t, writeText(t, c, "/5/0/1", "ftp://127.0.0.1/fw"), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultUnsupportedURI {
		t.Fatalf("ftp: %+v", s)
	}
	wantResp(t, writeText(t, c, "/5/0/1", "http//broken"), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareResult != FWResultInvalidURI {
		t.Fatalf("invalid: %+v", s)
	}
	// Update without an image.
	wantResp(t, serve(t, c, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeMethodNotAllowed)
	wantResp(t, serve(t, c, req(coap.POST, "/5/0/10", lwm2m.FormatNone, nil)), lwm2m.CodeMethodNotAllowed)
}

// blockingDownloader never finishes until cancelled.
type blockingDownloader struct{}

func (blockingDownloader) Download(ctx context.Context, _ string, _ int) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestFirmwareCancelAndReset(t *testing.T) {
	c, _ := newTestClient(t, func(c *Config) { c.Firmware.Downloader = blockingDownloader{} })
	wantResp(t, writeText(t, c, "/5/0/1", "coap://127.0.0.1:1/fw"), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareState != FWDownloading {
		t.Fatalf("state %d", s.FirmwareState)
	}
	// A second URI while downloading is refused; an empty one resets.
	wantResp(t, writeText(t, c, "/5/0/1", "coap://127.0.0.1:1/other"), lwm2m.CodeBadRequest)
	wantResp(t, serve(t, c, req(coap.POST, "/5/0/10", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultCancelled {
		t.Fatalf("cancel: %+v", s)
	}
	wantResp(t, writeText(t, c, "/5/0/1", "coap://127.0.0.1:1/fw"), lwm2m.CodeChanged)
	wantResp(t, writeText(t, c, "/5/0/1", ""), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultInitial {
		t.Fatalf("reset: %+v", s)
	}
}

func TestFirmwarePushAndUpdateFailure(t *testing.T) {
	sum := sha256.Sum256(image)
	c, _ := newTestClient(t, func(c *Config) { c.Firmware.SHA256 = sum[:]; c.Firmware.Failure = FailUpdate })
	wantResp(t, serve(t, c, req(coap.PUT, "/5/0/0", lwm2m.FormatOpaque, image)), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareState != FWDownloaded {
		t.Fatalf("push: %+v", s)
	}
	if v, _ := c.Get(lwm2m.MustPath("/5/0/0")); len(v.Bytes()) != 0 {
		t.Error("the pushed package stays in the tree")
	}
	wantResp(t, serve(t, c, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	c.doReboot()
	if s := c.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultUpdateFailed {
		t.Fatalf("failed update: %+v", s)
	}
	if v, _ := c.Get(lwm2m.MustPath("/3/0/3")); v.Str() != "1.0.0" {
		t.Fatalf("version changed on a failed update: %v", v)
	}
	// A corrupted push fails the integrity check.
	bad := append([]byte(nil), image...)
	bad[0] ^= 1
	c2, _ := newTestClient(t, func(c *Config) { c.Firmware.SHA256 = sum[:] })
	wantResp(t, serve(t, c2, req(coap.PUT, "/5/0/0", lwm2m.FormatOpaque, bad)), lwm2m.CodeChanged)
	if s := c2.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultIntegrity {
		t.Fatalf("corrupt push: %+v", s)
	}
	// An empty package resets.
	wantResp(t, serve(t, c2, req(coap.PUT, "/5/0/0", lwm2m.FormatOpaque, []byte{0})), lwm2m.CodeChanged)
	if s := c2.Status(); s.FirmwareResult != FWResultInitial {
		t.Fatalf("reset: %+v", s)
	}
}

// TestFirmwareVersionFromImage: an image whose first line names its
// version is installed as that version — /5/0/7 once downloaded, /3/0/3
// after the reboot — so a server checking /3/0/3 against the version it
// uploaded sees the update succeed without the device being configured
// for it.
func TestFirmwareVersionFromImage(t *testing.T) {
	img := append([]byte("version=2.1.0\n"), image...)
	c, _ := newTestClient(t, nil)
	wantResp(t, serve(t, c, req(coap.PUT, "/5/0/0", lwm2m.FormatOpaque, img)), lwm2m.CodeChanged)
	if s := c.Status(); s.FirmwareState != FWDownloaded {
		t.Fatalf("push: %+v", s)
	}
	if v, _ := c.Get(lwm2m.MustPath("/5/0/7")); v.Str() != "2.1.0" {
		t.Fatalf("package version %q after the download, want 2.1.0", v.Str())
	}
	wantResp(t, serve(t, c, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	c.doReboot()
	if s := c.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultSuccess {
		t.Fatalf("after reboot: %+v", s)
	}
	if v, _ := c.Get(lwm2m.MustPath("/3/0/3")); v.Str() != "2.1.0" {
		t.Fatalf("firmware version %q, want 2.1.0", v.Str())
	}
	// A configured NewVersion still wins.
	c2, _ := newTestClient(t, func(c *Config) { c.Firmware.NewVersion = "9.0.0" })
	wantResp(t, serve(t, c2, req(coap.PUT, "/5/0/0", lwm2m.FormatOpaque, img)), lwm2m.CodeChanged)
	wantResp(t, serve(t, c2, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	c2.doReboot()
	if v, _ := c2.Get(lwm2m.MustPath("/3/0/3")); v.Str() != "9.0.0" {
		t.Fatalf("firmware version %q, want the configured 9.0.0", v.Str())
	}
}
