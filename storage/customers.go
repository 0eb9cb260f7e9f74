package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// CustomerRepo implements dm.CustomerStore.
type CustomerRepo struct{ s *Store }

var _ dm.CustomerStore = CustomerRepo{}

// Customers returns the customer repository.
func (s *Store) Customers() CustomerRepo { return CustomerRepo{s} }

const customerCols = "a.id, a.name, a.description, a.created_at, a.updated_at"

func scanCustomer(sc scanner) (models.Customer, error) {
	var c models.Customer
	var created, updated dbTime
	err := sc.Scan(&c.ID, &c.Name, &c.Description, &created, &updated)
	c.CreatedAt, c.UpdatedAt = created.T, updated.T
	return c, err
}

// Create implements dm.CustomerStore.
func (r CustomerRepo) Create(ctx context.Context, c *models.Customer) error {
	s := r.s
	what := fmt.Sprintf("create customer %q", c.Name)
	if c.Name == "" {
		return s.wrap(fmt.Errorf("%w: customer name is empty", dm.ErrInvalid), what)
	}
	stamp(s, &c.CreatedAt, &c.UpdatedAt)
	err := s.w.QueryRowxContext(ctx, s.q("INSERT INTO customers (name, description, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id"),
		c.Name, c.Description, s.t(c.CreatedAt), s.t(c.UpdatedAt)).Scan(&c.ID)
	return s.wrap(err, what)
}

// Get implements dm.CustomerStore.
func (r CustomerRepo) Get(ctx context.Context, id int64) (models.Customer, error) {
	c, err := scanCustomer(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+customerCols+" FROM customers a WHERE a.id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("customer %d", id))
}

// Update implements dm.CustomerStore.
func (r CustomerRepo) Update(ctx context.Context, c *models.Customer) error {
	s := r.s
	what := fmt.Sprintf("update customer %d", c.ID)
	if c.Name == "" {
		return s.wrap(fmt.Errorf("%w: customer name is empty", dm.ErrInvalid), what)
	}
	c.UpdatedAt = s.now()
	err := affected(s.w.ExecContext(ctx, s.q("UPDATE customers SET name = ?, description = ?, updated_at = ? WHERE id = ?"),
		c.Name, c.Description, s.t(c.UpdatedAt), c.ID))
	return s.wrap(err, what)
}

// Delete implements dm.CustomerStore.
func (r CustomerRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM customers WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete customer %d", id))
}

// List implements dm.CustomerStore.
func (r CustomerRepo) List(ctx context.Context, p dm.PageRequest) (dm.Page[models.Customer], error) {
	out, err := page(ctx, r.s, r.s.r, listQuery{cols: customerCols, from: "customers a"}, p, func(rows *sql.Rows) (models.Customer, int64, error) {
		c, err := scanCustomer(rows)
		return c, c.ID, err
	})
	return out, r.s.wrap(err, "list customers")
}

func validRole(r models.Role) bool {
	return r == models.RoleAdmin || r == models.RoleOperator || r == models.RoleCustomer
}

// checkTenant validates a role and its customer: a customer role needs a
// customer.
func checkTenant(role models.Role, customerID int64) error {
	if !validRole(role) {
		return fmt.Errorf("%w: role %q", dm.ErrInvalid, role)
	}
	if role == models.RoleCustomer && customerID == 0 {
		return fmt.Errorf("%w: role customer needs a customer", dm.ErrInvalid)
	}
	return nil
}
