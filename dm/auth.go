package dm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// Tokens are "shoal_" followed by 32 random bytes in base64url: 256 bits of
// entropy. Only the hex SHA-256 of a token is stored. A plain hash (no
// salt, no stretching) is enough for secrets this random: guessing one
// from its hash is as hard as guessing the token, and there is no
// dictionary to precompute.
const (
	tokenPrefix      = "shoal_"
	tokenBytes       = 32
	tokenShownPrefix = 12 // characters kept in APIToken.Prefix
	tokenTouchEvery  = time.Minute
)

// tokenCache remembers recent token lookups by hash so a busy client does
// not cost a query per request. Revoking a token, and any change to a
// user, removes the entries concerned at once, so on this node a
// revocation takes effect on the very next request; other nodes see it
// within CacheTTL.
type tokenCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cached[authEntry]
}

// authEntry is a token with what its user says about it: a token of a
// user takes the user's role and customer, and stops working while the
// user is disabled.
type authEntry struct {
	tok      models.APIToken
	role     models.Role
	customer int64
	disabled bool
}

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, m: map[string]cached[authEntry]{}}
}

// forgetToken drops the cached entry of token id.
func (tc *tokenCache) forgetToken(id int64) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for h, e := range tc.m {
		if e.v.tok.ID == id {
			delete(tc.m, h)
		}
	}
}

// forgetAll empties the cache (a user changed).
func (tc *tokenCache) forgetAll() {
	tc.mu.Lock()
	clear(tc.m)
	tc.mu.Unlock()
}

// hashToken returns the stored form of a token.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a fresh random token.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("dm: generating a token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Authenticate checks a bearer token ("Bearer " prefix optional) and
// returns whom it belongs to; unknown, revoked and expired tokens are
// ErrUnauthorized.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	tok := strings.TrimSpace(bearer)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" {
		return Principal{}, fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	}
	if len(tok) > 512 {
		return Principal{}, fmt.Errorf("%w: token too long", ErrUnauthorized)
	}
	h := hashToken(tok)
	now := s.now()
	tc := s.rt.tokens
	tc.mu.Lock()
	e, ok := tc.m[h]
	tc.mu.Unlock()
	if !ok || now.Sub(e.at) >= tc.ttl {
		ae, err := s.loadAuth(ctx, h)
		if err != nil {
			return Principal{}, err
		}
		e = cached[authEntry]{v: ae, at: now}
		tc.mu.Lock()
		if len(tc.m) > 100000 {
			clear(tc.m)
		}
		tc.m[h] = e
		tc.mu.Unlock()
	}
	t := e.v.tok
	switch {
	case t.Revoked:
		return Principal{}, fmt.Errorf("%w: token %s… was revoked", ErrUnauthorized, t.Prefix)
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return Principal{}, fmt.Errorf("%w: token %s… expired", ErrUnauthorized, t.Prefix)
	case e.v.disabled:
		return Principal{}, fmt.Errorf("%w: token %s…: its user is disabled", ErrUnauthorized, t.Prefix)
	}
	if now.Sub(t.LastUsedAt) >= tokenTouchEvery {
		if err := s.st.Tokens.Touch(ctx, t.ID, now); err == nil {
			e.v.tok.LastUsedAt = now
			tc.mu.Lock()
			if _, still := tc.m[h]; still {
				tc.m[h] = cached[authEntry]{v: e.v, at: e.at}
			}
			tc.mu.Unlock()
		}
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: e.v.role, CustomerID: e.v.customer, UserID: t.UserID}, nil
}

// loadAuth reads a token by hash and, for a user's token, the user.
func (s *Service) loadAuth(ctx context.Context, h string) (authEntry, error) {
	t, err := s.st.Tokens.ByHash(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return authEntry{}, fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	if err != nil {
		return authEntry{}, err
	}
	ae := authEntry{tok: t, role: t.Role, customer: t.CustomerID}
	if t.UserID != 0 {
		u, err := s.st.Users.Get(ctx, t.UserID)
		if errors.Is(err, ErrNotFound) {
			return authEntry{}, fmt.Errorf("%w: token %s…: its user is gone", ErrUnauthorized, t.Prefix)
		}
		if err != nil {
			return authEntry{}, err
		}
		ae.role, ae.customer, ae.disabled = u.Role, u.CustomerID, u.Disabled
	}
	return ae, nil
}

// EnsureAdminToken makes sure an admin can log in. With fromEnv (the
// SHOAL_ADMIN_TOKEN value) that token is stored, if it is not yet, and ""
// is returned. Without it, when no usable token exists, a new admin token
// is generated, stored and returned: the caller prints it once.
func (s *Service) EnsureAdminToken(ctx context.Context, fromEnv string) (string, error) {
	now := s.now()
	if tok := strings.TrimSpace(fromEnv); tok != "" {
		if len(tok) < 16 {
			return "", fmt.Errorf("%w: SHOAL_ADMIN_TOKEN: %d characters, use at least 16", ErrInvalid, len(tok))
		}
		t, err := s.st.Tokens.ByHash(ctx, hashToken(tok))
		switch {
		case err == nil && t.Revoked:
			return "", fmt.Errorf("%w: SHOAL_ADMIN_TOKEN was revoked; set another", ErrInvalid)
		case err == nil:
			return "", nil
		case !errors.Is(err, ErrNotFound):
			return "", err
		}
		return "", s.createAdminToken(ctx, tok, "admin (SHOAL_ADMIN_TOKEN)", now)
	}
	pg, err := s.st.Tokens.List(ctx, TokenFilter{}, PageRequest{Limit: MaxPageLimit})
	if err != nil {
		return "", err
	}
	for _, t := range pg.Items {
		if !t.Revoked && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt)) {
			return "", nil
		}
	}
	tok, err := NewToken()
	if err != nil {
		return "", err
	}
	if err := s.createAdminToken(ctx, tok, "admin (generated at first start)", now); err != nil {
		return "", err
	}
	return tok, nil
}

func (s *Service) createAdminToken(ctx context.Context, tok, name string, now time.Time) error {
	n := tokenShownPrefix
	if !strings.HasPrefix(tok, tokenPrefix) {
		n = 4 // a token chosen by someone: show less of it
	}
	t := models.APIToken{Name: name, Hash: hashToken(tok), Prefix: tok[:min(n, len(tok))], Role: models.RoleAdmin}
	if err := s.st.Tokens.Create(ctx, &t); err != nil {
		return err
	}
	s.record(ctx, models.Event{Time: now, Category: models.CategoryAudit, Type: "token.created",
		Data: jsonOf(map[string]any{"token_id": t.ID, "name": name, "prefix": t.Prefix})})
	return nil
}
