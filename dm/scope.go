package dm

import (
	"fmt"
	"strconv"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// Principal is who calls a use case: the bearer token's id, name, role and
// customer. Every use case the API calls takes one and enforces it here,
// not in handlers: an admin does everything; an operator everything but
// users, tokens, customers' records and the audit log; a customer sees
// only its own customer's devices, assets, alarms, events and webhooks —
// another customer's records do not exist for it (ErrNotFound, with the
// same message as a record that really does not exist), and what its role
// may not do is ErrForbidden.
type Principal struct {
	TokenID    int64
	Name       string
	Role       models.Role
	CustomerID int64
	UserID     int64
}

// System is the principal of Shoal's own calls (provisioning at start,
// tests): an admin.
func System() Principal { return Principal{Role: models.RoleAdmin, Name: "system"} }

// Actor names the principal in events and the audit log.
func (p Principal) Actor() string {
	if p.TokenID == 0 {
		if p.Name != "" {
			return p.Name
		}
		return "system"
	}
	if p.Name == "" {
		return "token " + strconv.FormatInt(p.TokenID, 10)
	}
	return "token " + strconv.FormatInt(p.TokenID, 10) + " (" + p.Name + ")"
}

// IsAdmin reports whether p has the admin role.
func (p Principal) IsAdmin() bool { return p.Role == models.RoleAdmin }

// fleet reports whether p manages the whole fleet (admin or operator).
func (p Principal) fleet() bool { return p.Role == models.RoleAdmin || p.Role == models.RoleOperator }

// scoped reports whether p sees only its customer's records. Any role
// that is not admin or operator is scoped, so an unknown role sees
// nothing rather than everything.
func (p Principal) scoped() bool { return !p.fleet() }

// sees reports whether a record owned by customer (0: nobody) is visible
// to p.
func (p Principal) sees(customer int64) bool {
	return !p.scoped() || customer != 0 && customer == p.CustomerID
}

// scopeCustomer narrows a customer filter to what p sees: a scoped
// principal's filter becomes its own customer, or -1 (matches nothing)
// when it asked for another customer. A scoped principal without a
// customer is refused.
func (p Principal) scopeCustomer(filter *int64) error {
	if !p.scoped() {
		return nil
	}
	if p.CustomerID == 0 {
		return fmt.Errorf("%w: the token's role %q has no customer", ErrForbidden, p.Role)
	}
	if *filter != 0 && *filter != p.CustomerID {
		*filter = -1
		return nil
	}
	*filter = p.CustomerID
	return nil
}

// needAdmin refuses p unless it is an admin.
func needAdmin(p Principal, what string) error {
	if p.IsAdmin() {
		return nil
	}
	return fmt.Errorf("%w: %s needs the admin role", ErrForbidden, what)
}

// needFleet refuses p unless it is an admin or an operator.
func needFleet(p Principal, what string) error {
	if p.fleet() {
		return nil
	}
	return fmt.Errorf("%w: %s needs the admin or operator role", ErrForbidden, what)
}

// operatorObject reports whether a customer may not operate on object o:
// how the device connects (Security, Server), who may access it (Access
// Control) and its firmware (Firmware Update) are the operators' business.
func operatorObject(o uint16) bool { return o <= 2 || o == 5 }

// checkOp refuses operations p's role may not run. Customers run reads,
// observations, writes and executes on their own devices, but neither
// create nor delete instances, nor touch the objects operatorObject
// names.
func checkOp(p Principal, req lwm2m.Request) error {
	if p.fleet() {
		return nil
	}
	switch req.Op {
	case lwm2m.OpCreate, lwm2m.OpDelete:
		return fmt.Errorf("%w: %s needs the admin or operator role", ErrForbidden, req.Op)
	}
	for _, path := range requestPaths(req) {
		if path.Len() == 0 {
			if req.Op == lwm2m.OpDiscover || req.Op == lwm2m.OpRead {
				continue
			}
			return fmt.Errorf("%w: %s of the whole device needs the admin or operator role", ErrForbidden, req.Op)
		}
		if operatorObject(path.Object()) {
			return fmt.Errorf("%w: %s on %s: object %d is for the admin or operator role", ErrForbidden, req.Op, path, path.Object())
		}
	}
	return nil
}

// notFound is the one error for a record p may not see or that does not
// exist, so the two read alike.
func notFound(kind string, id any) error {
	switch v := id.(type) {
	case string:
		return fmt.Errorf("%s %q: %w", kind, v, ErrNotFound)
	}
	return fmt.Errorf("%s %v: %w", kind, id, ErrNotFound)
}

// invalid is an ErrInvalid naming the field: "invalid: <field>: why".
func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// AuthorizeFleet refuses callers that are not admins or operators, for
// what the API serves without a use case of its own (metrics).
func (s *Service) AuthorizeFleet(who Principal, what string) error { return needFleet(who, what) }
