package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/webhook"
)

func newClient(t *testing.T, cfg webhook.Config) *webhook.Client {
	t.Helper()
	c, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPost: the body and headers arrive as given and the status comes
// back; a redirect is not followed.
func TestPost(t *testing.T) {
	var gotBody, gotSig, gotCT string
	moved := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			moved++
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			return
		}
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		b, _ := io.ReadAll(r.Body)
		gotBody, gotSig, gotCT = string(b), r.Header.Get("X-Shoal-Signature"), r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, strings.Repeat("x", 100<<10)) // more than is drained
	}))
	defer srv.Close()
	c := newClient(t, webhook.Config{})
	status, err := c.Post(context.Background(), srv.URL+"/hook", []byte(`{"a":1}`),
		map[string]string{"Content-Type": "application/json", "X-Shoal-Signature": "sha256=00"})
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("status %d, %v", status, err)
	}
	if gotBody != `{"a":1}` || gotSig != "sha256=00" || gotCT != "application/json" {
		t.Errorf("received %q %q %q", gotBody, gotSig, gotCT)
	}
	status, err = c.Post(context.Background(), srv.URL+"/moved", []byte(`{}`), nil)
	if err != nil || status != http.StatusTemporaryRedirect || moved != 1 {
		t.Errorf("redirect: status %d, %v, %d hits", status, err, moved)
	}
}

// TestPostErrors: a receiver that does not answer in time, one that is not
// listening, and a URL that is not http(s) are errors naming the host.
func TestPostErrors(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	c := newClient(t, webhook.Config{Timeout: 50 * time.Millisecond})
	if _, err := c.Post(context.Background(), slow.URL, nil, nil); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("a receiver that hangs: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	if _, err := c.Post(context.Background(), addr, nil, nil); err == nil {
		t.Error("a closed port answered")
	}
	if _, err := c.Post(context.Background(), "ftp://127.0.0.1/x", nil, nil); err == nil || !strings.Contains(err.Error(), "http") {
		t.Errorf("ftp: %v", err)
	}
	if _, err := webhook.New(webhook.Config{Timeout: -1}); err == nil {
		t.Error("a negative timeout was accepted")
	}
}
