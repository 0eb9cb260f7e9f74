package models

import "time"

// Role is what a user or API token may do.
type Role string

// The roles (issue 6): admin does everything, operator everything but user
// and token management, customer only its own customer's devices and assets.
const (
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleCustomer Role = "customer"
)

// Customer owns devices and assets.
type Customer struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// User is a person who logs in. PasswordHash is an encoded password hash
// (the scheme is dm's business); the plain password is never stored.
type User struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name,omitempty"`
	PasswordHash string    `json:"-"`
	Role         Role      `json:"role"`
	CustomerID   int64     `json:"customer_id,omitempty"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// APIToken is a bearer token. Only a hash of the secret is stored (Hash,
// e.g. the hex SHA-256 of the token text); Prefix is a short non-secret
// beginning of the token shown in lists so people can tell tokens apart.
type APIToken struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Hash       string    `json:"-"`
	Prefix     string    `json:"prefix"`
	Role       Role      `json:"role"`
	CustomerID int64     `json:"customer_id,omitempty"`
	UserID     int64     `json:"user_id,omitempty"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	Revoked    bool      `json:"revoked"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
}
