package dm

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// maxTokenName bounds token names.
const maxTokenName = 128

// TokenInput creates an API token. A token of a user (UserID) takes the
// user's role and customer; otherwise Role is required and Customer (a
// customer's name or id) goes with the customer role. ExpiresAt, when
// set, must lie ahead.
type TokenInput struct {
	Name      string
	Role      models.Role
	Customer  string
	UserID    int64
	ExpiresAt time.Time
}

// CreateToken makes a token and returns it with its secret, which is shown
// this once: only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, who Principal, in TokenInput) (models.APIToken, string, error) {
	if err := needAdmin(who, "managing tokens"); err != nil {
		return models.APIToken{}, "", err
	}
	t := models.APIToken{Name: strings.TrimSpace(in.Name), Role: in.Role, UserID: in.UserID, ExpiresAt: in.ExpiresAt.UTC()}
	switch {
	case t.Name == "":
		return models.APIToken{}, "", invalid("name", "is required")
	case len(t.Name) > maxTokenName:
		return models.APIToken{}, "", invalid("name", "%d bytes, at most %d", len(t.Name), maxTokenName)
	case !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(s.now()):
		return models.APIToken{}, "", invalid("expires_at", "%s is not in the future", t.ExpiresAt.Format(time.RFC3339))
	}
	if err := checkName(t.Name); err != nil {
		return models.APIToken{}, "", err
	}
	var err error
	if t.CustomerID, err = s.customerRef(ctx, in.Customer); err != nil {
		return models.APIToken{}, "", err
	}
	if in.UserID != 0 {
		u, err := s.st.Users.Get(ctx, in.UserID)
		if errors.Is(err, ErrNotFound) {
			return models.APIToken{}, "", invalid("user_id", "no user %d", in.UserID)
		}
		if err != nil {
			return models.APIToken{}, "", err
		}
		if t.Role != "" && t.Role != u.Role || t.CustomerID != 0 && t.CustomerID != u.CustomerID {
			return models.APIToken{}, "", invalid("role", "a user's token takes the user's role and customer (%s)", u.Role)
		}
		t.Role, t.CustomerID = u.Role, u.CustomerID
	}
	if err := checkRole(t.Role, t.CustomerID); err != nil {
		return models.APIToken{}, "", err
	}
	secret, err := NewToken()
	if err != nil {
		return models.APIToken{}, "", err
	}
	t.Hash, t.Prefix = hashToken(secret), secret[:tokenShownPrefix]
	if err := s.st.Tokens.Create(ctx, &t); err != nil {
		return models.APIToken{}, "", err
	}
	s.record(ctx, tokenEvent(t, "token.created", who))
	return t, secret, nil
}

// GetToken returns a token (never its secret).
func (s *Service) GetToken(ctx context.Context, who Principal, id int64) (models.APIToken, error) {
	if err := needAdmin(who, "managing tokens"); err != nil {
		return models.APIToken{}, err
	}
	t, err := s.st.Tokens.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return models.APIToken{}, notFound("token", id)
	}
	return t, err
}

// ListTokens lists tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, who Principal, f TokenFilter, p PageRequest) (Page[models.APIToken], error) {
	if err := needAdmin(who, "managing tokens"); err != nil {
		return Page[models.APIToken]{}, err
	}
	return s.st.Tokens.List(ctx, f, p)
}

// RevokeToken revokes a token: on this node it is refused from the next
// request on (the cache entry goes at once); revoking twice is a no-op.
func (s *Service) RevokeToken(ctx context.Context, who Principal, id int64) (models.APIToken, error) {
	t, err := s.GetToken(ctx, who, id)
	if err != nil {
		return models.APIToken{}, err
	}
	if err := s.st.Tokens.Revoke(ctx, id, s.now()); err != nil {
		return models.APIToken{}, err
	}
	s.rt.tokens.forgetToken(id)
	if !t.Revoked {
		s.record(ctx, tokenEvent(t, "token.revoked", who))
	}
	return s.st.Tokens.Get(ctx, id)
}

func tokenEvent(t models.APIToken, typ string, who Principal) models.Event {
	return models.Event{Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"token_id": t.ID, "name": t.Name, "prefix": t.Prefix, "role": t.Role, "customer_id": t.CustomerID})}
}
