package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStreamAccessToken: the event stream takes ?access_token= when no
// Authorization header is sent (a browser's EventSource); no other route
// does, and a bad or empty one is 401.
func TestStreamAccessToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	live := e.openStream("?device=tok-a&access_token="+url.QueryEscape(e.token), "Authorization", "")
	e.do(http.MethodPost, "/api/v1/devices", map[string]any{"endpoint": "tok-b"}).want(t, http.StatusCreated)
	e.do(http.MethodPost, "/api/v1/devices", map[string]any{"endpoint": "tok-a"}).want(t, http.StatusCreated)
	if ev := live.next(t, false).decode(t); ev.Endpoint != "tok-a" || ev.Type != "device.created" {
		t.Fatalf("stream with a query token: %+v, want tok-a's creation (the device filter still applies)", ev)
	}

	tok := url.QueryEscape(e.token)
	for _, c := range []struct{ method, path, detail string }{
		{http.MethodGet, "/api/v1/devices?access_token=" + tok, "accepted on GET /api/v1/events only"},
		{http.MethodPost, "/api/v1/events?access_token=" + tok, ""}, // no such route: 405 first
		{http.MethodGet, "/api/v1/events?access_token=", "is empty"},
		{http.MethodGet, "/api/v1/events?access_token=shoal_wrong_token_0123456789abcdef", ""},
	} {
		r := e.doToken("", c.method, c.path, nil, "Accept", "text/event-stream")
		if c.method == http.MethodPost {
			r.want(t, http.StatusMethodNotAllowed)
			continue
		}
		p := r.want(t, http.StatusUnauthorized).problem(t)
		detail, _ := p["detail"].(string)
		if !strings.Contains(detail, c.detail) || strings.Contains(detail, e.token) {
			t.Errorf("%s %s: detail %q, want it to say %q and never echo the token", c.method, c.path, detail, c.detail)
		}
	}
	// A header wins over the query: a wrong header is 401 even with a
	// right query token.
	e.doToken("wrong", http.MethodGet, "/api/v1/events?access_token="+tok, nil, "Accept", "text/event-stream").
		want(t, http.StatusUnauthorized)
}
