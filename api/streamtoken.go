package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/shoal-iot/shoal/dm"
)

// accessTokenParam carries a token in the query string (RFC 6750 §2.3),
// accepted on GET /api/v1/events only: a browser's EventSource cannot set
// an Authorization header. A query token is stateless, so it works the same
// whichever API node a stream lands on; it is never logged (only paths
// are), removed from the request before any handler sees it, and the
// stream is answered with Cache-Control: no-store.
const accessTokenParam = "access_token"

// requestToken returns the bearer token of r and the request to pass on:
// the Authorization header's token, or on the event stream without that
// header, ?access_token= — then r is passed on without it.
func requestToken(r *http.Request) (string, *http.Request, error) {
	tok, err := bearerToken(r)
	if err == nil || r.Header.Get("Authorization") != "" {
		return tok, r, err
	}
	q := r.URL.Query()
	if !q.Has(accessTokenParam) {
		return "", r, err
	}
	if r.Method != http.MethodGet || r.URL.Path != V1+"/events" {
		return "", r, fmt.Errorf("%w: ?%s is accepted on GET %s/events only; send \"Authorization: Bearer <token>\"",
			dm.ErrUnauthorized, accessTokenParam, V1)
	}
	tok = strings.TrimSpace(q.Get(accessTokenParam))
	if tok == "" {
		return "", r, fmt.Errorf("%w: ?%s is empty", dm.ErrUnauthorized, accessTokenParam)
	}
	q.Del(accessTokenParam)
	u := *r.URL
	u.RawQuery = q.Encode()
	r2 := r.Clone(r.Context())
	r2.URL = &u
	r2.RequestURI = u.RequestURI()
	return tok, r2, nil
}
