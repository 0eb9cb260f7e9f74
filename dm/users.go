package dm

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/shoal-iot/shoal/models"
)

// maxEmail bounds e-mail addresses (RFC 5321's path limit).
const maxEmail = 254

// UserInput creates a user. Customer is a customer's name or id, needed
// by (and only allowed for) the customer role.
type UserInput struct {
	Email    string
	Name     string
	Role     models.Role
	Customer string
	Disabled bool
}

// UserPatch changes a user: nil fields stay. A disabled user's tokens stop
// working until it is enabled again; a changed role or customer applies to
// its tokens at once.
type UserPatch struct {
	Name     *string
	Role     *models.Role
	Customer *string
	Disabled *bool
}

// Users and tokens are managed by admins only.

// CreateUser adds a user.
func (s *Service) CreateUser(ctx context.Context, who Principal, in UserInput) (models.User, error) {
	if err := needAdmin(who, "managing users"); err != nil {
		return models.User{}, err
	}
	u := models.User{Email: strings.ToLower(strings.TrimSpace(in.Email)), Name: strings.TrimSpace(in.Name), Role: in.Role,
		Disabled: in.Disabled}
	var err error
	if u.CustomerID, err = s.customerRef(ctx, in.Customer); err != nil {
		return models.User{}, err
	}
	if err := checkUser(u); err != nil {
		return models.User{}, err
	}
	if err := s.st.Users.Create(ctx, &u); err != nil {
		return models.User{}, err
	}
	s.record(ctx, userEvent(u, "user.created", who))
	return u, nil
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, who Principal, id int64) (models.User, error) {
	if err := needAdmin(who, "managing users"); err != nil {
		return models.User{}, err
	}
	u, err := s.st.Users.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return models.User{}, notFound("user", id)
	}
	return u, err
}

// ListUsers lists users, of one customer when customerID is not 0.
func (s *Service) ListUsers(ctx context.Context, who Principal, customerID int64, p PageRequest) (Page[models.User], error) {
	if err := needAdmin(who, "managing users"); err != nil {
		return Page[models.User]{}, err
	}
	return s.st.Users.List(ctx, customerID, p)
}

// UpdateUser changes a user.
func (s *Service) UpdateUser(ctx context.Context, who Principal, id int64, patch UserPatch) (models.User, error) {
	u, err := s.GetUser(ctx, who, id)
	if err != nil {
		return models.User{}, err
	}
	if patch.Name != nil {
		u.Name = strings.TrimSpace(*patch.Name)
	}
	if patch.Role != nil {
		u.Role = *patch.Role
		if u.Role != models.RoleCustomer && patch.Customer == nil {
			u.CustomerID = 0
		}
	}
	if patch.Customer != nil {
		if u.CustomerID, err = s.customerRef(ctx, *patch.Customer); err != nil {
			return models.User{}, err
		}
	}
	if patch.Disabled != nil {
		u.Disabled = *patch.Disabled
	}
	if err := checkUser(u); err != nil {
		return models.User{}, err
	}
	if err := s.st.Users.Update(ctx, &u); err != nil {
		return models.User{}, err
	}
	s.rt.tokens.forgetAll()
	s.record(ctx, userEvent(u, "user.updated", who))
	return u, nil
}

// DeleteUser deletes a user and its tokens.
func (s *Service) DeleteUser(ctx context.Context, who Principal, id int64) error {
	u, err := s.GetUser(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.st.Users.Delete(ctx, id); err != nil {
		return err
	}
	s.rt.tokens.forgetAll()
	s.record(ctx, userEvent(u, "user.deleted", who))
	return nil
}

// checkRole checks a role and its customer: the customer role needs one,
// the others have none.
func checkRole(role models.Role, customer int64) error {
	switch role {
	case models.RoleAdmin, models.RoleOperator:
		if customer != 0 {
			return invalid("customer", "only the customer role has a customer")
		}
	case models.RoleCustomer:
		if customer == 0 {
			return invalid("customer", "the customer role needs a customer")
		}
	default:
		return invalid("role", "%q is not admin, operator or customer", role)
	}
	return nil
}

func checkUser(u models.User) error {
	switch {
	case u.Email == "":
		return invalid("email", "is required")
	case len(u.Email) > maxEmail:
		return invalid("email", "%d bytes, at most %d", len(u.Email), maxEmail)
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return invalid("email", "%q is not an e-mail address", u.Email)
	}
	if err := checkName(u.Name); err != nil {
		return err
	}
	return checkRole(u.Role, u.CustomerID)
}

func userEvent(u models.User, typ string, who Principal) models.Event {
	return models.Event{Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"user_id": u.ID, "email": u.Email, "role": u.Role, "customer_id": u.CustomerID, "disabled": u.Disabled})}
}
