package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// customerDTO is a customer.
type customerDTO struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toCustomerDTO(c models.Customer) customerDTO {
	return customerDTO{ID: c.ID, Name: c.Name, Description: c.Description, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// customerBodyDTO creates (name required) or patches a customer.
type customerBodyDTO struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, s.svc.ListCustomers, toCustomerDTO)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var body customerBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	var c models.Customer
	if body.Name != nil {
		c.Name = *body.Name
	}
	if body.Description != nil {
		c.Description = *body.Description
	}
	c, err := s.svc.CreateCustomer(r.Context(), who(r), c)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/customers/"+strconv.FormatInt(c.ID, 10))
	return writeJSON(w, http.StatusCreated, toCustomerDTO(c))
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.svc.GetCustomer(r.Context(), who(r), refVar(r, "customer"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCustomerDTO(c))
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	var body customerBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	c, err := s.svc.UpdateCustomer(r.Context(), who(r), refVar(r, "customer"), dm.CustomerPatch{Name: body.Name, Description: body.Description})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCustomerDTO(c))
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteCustomer(r.Context(), who(r), refVar(r, "customer")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) assignDevice(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.AssignDevice(r.Context(), who(r), refVar(r, "customer"), endpointVar(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeviceDTO(d))
}

func (s *Server) unassignDevice(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.UnassignDevice(r.Context(), who(r), refVar(r, "customer"), endpointVar(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeviceDTO(d))
}

// userDTO is a user (never a password hash).
type userDTO struct {
	ID         int64     `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name,omitempty"`
	Role       string    `json:"role"`
	CustomerID int64     `json:"customer_id,omitempty"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toUserDTO(u models.User) userDTO {
	return userDTO{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CustomerID: u.CustomerID, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// userBodyDTO creates or patches a user; customer is a name or an id.
type userBodyDTO struct {
	Email    *string `json:"email"`
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Customer *ref    `json:"customer"`
	Disabled *bool   `json:"disabled"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	cust, err := queryID(q, "customer")
	if err != nil {
		return err
	}
	page, err := s.svc.ListUsers(r.Context(), who(r), cust, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toUserDTO))
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var body userBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	var in dm.UserInput
	if body.Email != nil {
		in.Email = *body.Email
	}
	if body.Name != nil {
		in.Name = *body.Name
	}
	if body.Role != nil {
		in.Role = models.Role(*body.Role)
	}
	if body.Customer != nil {
		in.Customer = string(*body.Customer)
	}
	if body.Disabled != nil {
		in.Disabled = *body.Disabled
	}
	u, err := s.svc.CreateUser(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/users/"+strconv.FormatInt(u.ID, 10))
	return writeJSON(w, http.StatusCreated, toUserDTO(u))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUserDTO(u))
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	var body userBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Email != nil {
		return badField("email", "an e-mail address cannot change; create another user")
	}
	patch := dm.UserPatch{Name: body.Name, Disabled: body.Disabled}
	if body.Role != nil {
		role := models.Role(*body.Role)
		patch.Role = &role
	}
	if body.Customer != nil {
		c := string(*body.Customer)
		patch.Customer = &c
	}
	u, err := s.svc.UpdateUser(r.Context(), who(r), id, patch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUserDTO(u))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.svc.DeleteUser)
}

// tokenDTO is an API token without its secret.
type tokenDTO struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       string     `json:"role"`
	CustomerID int64      `json:"customer_id,omitempty"`
	UserID     int64      `json:"user_id,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	Revoked    bool       `json:"revoked"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toTokenDTO(t models.APIToken) tokenDTO {
	return tokenDTO{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Role: string(t.Role), CustomerID: t.CustomerID, UserID: t.UserID,
		ExpiresAt: optTime(t.ExpiresAt), Revoked: t.Revoked, RevokedAt: optTime(t.RevokedAt), LastUsedAt: optTime(t.LastUsedAt),
		CreatedAt: t.CreatedAt.UTC()}
}

// tokenCreateDTO creates a token: expires_at (RFC 3339) or expires_in (a
// duration such as "720h").
type tokenCreateDTO struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Customer  ref    `json:"customer"`
	UserID    int64  `json:"user_id"`
	ExpiresAt string `json:"expires_at"`
	ExpiresIn string `json:"expires_in"`
}

// createdTokenDTO is the answer to POST /tokens: the only time the secret
// is shown.
type createdTokenDTO struct {
	Token  tokenDTO `json:"token"`
	Secret string   `json:"secret"`
}

// maxTokenLife bounds expires_in.
const maxTokenLife = 10 * 365 * 24 * time.Hour

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var body tokenCreateDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	in := dm.TokenInput{Name: body.Name, Role: models.Role(body.Role), Customer: string(body.Customer), UserID: body.UserID}
	switch {
	case body.ExpiresAt != "" && body.ExpiresIn != "":
		return badField("expires_in", "give expires_at or expires_in, not both")
	case body.ExpiresAt != "":
		t, err := time.Parse(time.RFC3339Nano, body.ExpiresAt)
		if err != nil {
			return badField("expires_at", "%q is not an RFC 3339 time", body.ExpiresAt)
		}
		in.ExpiresAt = t
	case body.ExpiresIn != "":
		d, err := parseDurationField("expires_in", body.ExpiresIn, maxTokenLife)
		if err != nil {
			return err
		}
		if d <= 0 {
			return badField("expires_in", "must be positive")
		}
		in.ExpiresAt = time.Now().Add(d)
	}
	t, secret, err := s.svc.CreateToken(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/tokens/"+strconv.FormatInt(t.ID, 10))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, createdTokenDTO{Token: toTokenDTO(t), Secret: secret})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	var f dm.TokenFilter
	if f.UserID, err = queryID(q, "user"); err != nil {
		return err
	}
	if f.CustomerID, err = queryID(q, "customer"); err != nil {
		return err
	}
	if f.IncludeRevoked, err = queryBool(q, "revoked"); err != nil {
		return err
	}
	page, err := s.svc.ListTokens(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toTokenDTO))
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	t, err := s.svc.GetToken(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTokenDTO(t))
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.svc.RevokeToken(r.Context(), who(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
