package api

import (
	"net/http"

	"github.com/gorilla/mux"
)

// RouteNames returns every route's name (its operationId) with its method
// and path template, for the role walk test.
func RouteNames(s *Server) map[string]string {
	out := map[string]string{}
	_ = s.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, _ := r.GetPathTemplate()
		ms, _ := r.GetMethods()
		for _, m := range ms {
			out[r.GetName()] = m + " " + tpl
		}
		return nil
	})
	return out
}

// RouteOf returns the name of the route a request matches ("" for none).
func RouteOf(s *Server, r *http.Request) string {
	var m mux.RouteMatch
	if s.router.Match(r, &m) && m.Route != nil {
		return m.Route.GetName()
	}
	return ""
}
