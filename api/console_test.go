package api_test

import (
	"net/http"
	"testing"

	"github.com/shoal-iot/shoal/api"
)

// TestConsoleMount: with a console configured, paths outside /api are the
// console's, while /api paths — known or not — stay the API's.
func TestConsoleMount(t *testing.T) {
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("console:" + r.URL.Path))
	})
	e := newEnv(t, envOpts{api: func(c *api.Config) { c.Console = console }})
	for _, p := range []string{"/", "/index.html", "/js/app.js", "/apiary"} {
		r := e.doToken("", http.MethodGet, p, nil).want(t, http.StatusOK)
		if string(r.body) != "console:"+p {
			t.Errorf("GET %s: %q, want the console", p, r.body)
		}
	}
	for _, p := range []string{"/api", "/api/", "/api/v1", "/api/v1/nope", "/api/v2/devices"} {
		pr := e.do(http.MethodGet, p, nil).want(t, http.StatusNotFound).problem(t)
		if pr["type"] != "urn:shoal:problem:no-such-route" {
			t.Errorf("GET %s: %v, want the no-such-route problem", p, pr)
		}
	}
	e.doToken("", http.MethodGet, "/api/v1/devices", nil).want(t, http.StatusUnauthorized).problem(t)
	e.do(http.MethodGet, "/api/v1/devices", nil).want(t, http.StatusOK)
	e.doToken("", http.MethodGet, "/healthz", nil).want(t, http.StatusOK)
}

// TestNoConsole: without a console, / is a problem document like any
// unknown route.
func TestNoConsole(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.doToken("", http.MethodGet, "/", nil).want(t, http.StatusNotFound).problem(t)
}
