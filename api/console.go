package api

import (
	"net/http"
	"strings"
)

// withConsole serves cfg.Console for every path outside the API: "/api"
// and everything under it, /healthz and /metrics stay the router's, so an
// unknown /api path is still a problem document, never the console.
func (s *Server) withConsole(router http.Handler) http.Handler {
	if s.cfg.Console == nil {
		return router
	}
	console := s.cfg.Console
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/metrics" || strings.HasPrefix(p, PackagePath) {
			router.ServeHTTP(w, r)
			return
		}
		s.observe("console", console, w, r)
	})
}
