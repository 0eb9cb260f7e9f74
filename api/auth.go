package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/shoal-iot/shoal/dm"
)

type principalKey struct{}

// authenticate lets a request through only with a valid bearer token (see
// requestToken); the token's principal is put into the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, r2, err := requestToken(r)
		if err == nil {
			var p dm.Principal
			p, err = s.svc.Authenticate(r.Context(), tok)
			if err == nil {
				next.ServeHTTP(w, r2.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
				return
			}
		}
		s.writeProblem(w, r, err)
	})
}

// bearerToken extracts the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", fmt.Errorf("%w: no bearer token (send \"Authorization: Bearer <token>\")", dm.ErrUnauthorized)
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", fmt.Errorf("%w: the Authorization header is not \"Bearer <token>\"", dm.ErrUnauthorized)
	}
	return tok, nil
}

// principal returns the authenticated caller of r.
func principal(r *http.Request) (dm.Principal, bool) {
	p, ok := r.Context().Value(principalKey{}).(dm.Principal)
	return p, ok
}

// cors answers browsers from the configured origins; with none
// configured it adds nothing.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !slices.Contains(s.cfg.CORSOrigins, origin) && !slices.Contains(s.cfg.CORSOrigins, "*") {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "Location")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// who returns the caller of r. Every API route is authenticated, so it is
// always there; were it missing, the zero Principal is scoped to no
// customer and sees nothing.
func who(r *http.Request) dm.Principal {
	p, _ := principal(r)
	return p
}

// fleetOnly lets only admins and operators through: fleet-wide figures
// (metrics) are not for customer tokens.
func (s *Server) fleetOnly(what string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.svc.AuthorizeFleet(who(r), what); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
