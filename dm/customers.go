package dm

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/models"
)

// Limits on customer fields.
const (
	maxCustomerName = 128
	maxDescription  = 1024
)

// CustomerPatch changes a customer: nil fields stay.
type CustomerPatch struct {
	Name        *string
	Description *string
}

// CreateCustomer adds a customer (admin or operator).
func (s *Service) CreateCustomer(ctx context.Context, who Principal, c models.Customer) (models.Customer, error) {
	if err := needFleet(who, "managing customers"); err != nil {
		return models.Customer{}, err
	}
	c.ID = 0
	c.Name, c.Description = strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
	if err := checkCustomer(c); err != nil {
		return models.Customer{}, err
	}
	if err := s.st.Customers.Create(ctx, &c); err != nil {
		return models.Customer{}, err
	}
	s.record(ctx, customerEvent(c, "customer.created", who))
	return c, nil
}

// GetCustomer returns a customer by id or name; a customer sees only
// itself.
func (s *Service) GetCustomer(ctx context.Context, who Principal, ref string) (models.Customer, error) {
	id, err := s.customerRef(ctx, ref)
	if errors.Is(err, ErrInvalid) || err == nil && !who.sees(id) {
		return models.Customer{}, notFound("customer", strings.TrimSpace(ref))
	}
	if err != nil {
		return models.Customer{}, err
	}
	return s.st.Customers.Get(ctx, id)
}

// ListCustomers lists customers in id order; a customer lists itself.
func (s *Service) ListCustomers(ctx context.Context, who Principal, p PageRequest) (Page[models.Customer], error) {
	if who.scoped() {
		var own int64
		if err := who.scopeCustomer(&own); err != nil {
			return Page[models.Customer]{}, err
		}
		c, err := s.st.Customers.Get(ctx, own)
		if errors.Is(err, ErrNotFound) {
			return Page[models.Customer]{Items: []models.Customer{}}, nil
		}
		if err != nil || p.Cursor != "" {
			return Page[models.Customer]{Items: []models.Customer{}, Total: 1}, err
		}
		return Page[models.Customer]{Items: []models.Customer{c}, Total: 1}, nil
	}
	return s.st.Customers.List(ctx, p)
}

// UpdateCustomer renames or redescribes a customer (admin or operator).
func (s *Service) UpdateCustomer(ctx context.Context, who Principal, ref string, patch CustomerPatch) (models.Customer, error) {
	c, err := s.GetCustomer(ctx, who, ref)
	if err != nil {
		return models.Customer{}, err
	}
	if err := needFleet(who, "managing customers"); err != nil {
		return models.Customer{}, err
	}
	if patch.Name != nil {
		c.Name = strings.TrimSpace(*patch.Name)
	}
	if patch.Description != nil {
		c.Description = strings.TrimSpace(*patch.Description)
	}
	if err := checkCustomer(c); err != nil {
		return models.Customer{}, err
	}
	if err := s.st.Customers.Update(ctx, &c); err != nil {
		return models.Customer{}, err
	}
	s.record(ctx, customerEvent(c, "customer.updated", who))
	return c, nil
}

// DeleteCustomer deletes a customer that owns no devices, assets, users or
// tokens (ErrConflict otherwise); its webhook channels go with it.
func (s *Service) DeleteCustomer(ctx context.Context, who Principal, ref string) error {
	c, err := s.GetCustomer(ctx, who, ref)
	if err != nil {
		return err
	}
	if err := needFleet(who, "managing customers"); err != nil {
		return err
	}
	if err := s.st.Customers.Delete(ctx, c.ID); err != nil {
		return err
	}
	s.rt.hooks.reload(ctx)
	s.record(ctx, customerEvent(c, "customer.deleted", who))
	return nil
}

// AssignDevice gives a device to a customer (admin or operator).
func (s *Service) AssignDevice(ctx context.Context, who Principal, customerRef, endpoint string) (DeviceView, error) {
	c, err := s.GetCustomer(ctx, who, customerRef)
	if err != nil {
		return DeviceView{}, err
	}
	ref := strconv.FormatInt(c.ID, 10)
	return s.UpdateDevice(ctx, who, endpoint, DevicePatch{Customer: &ref})
}

// UnassignDevice takes a device away from its customer (admin or
// operator); a device the customer does not own is ErrNotFound.
func (s *Service) UnassignDevice(ctx context.Context, who Principal, customerRef, endpoint string) (DeviceView, error) {
	c, err := s.GetCustomer(ctx, who, customerRef)
	if err != nil {
		return DeviceView{}, err
	}
	d, err := s.storedDevice(ctx, who, endpoint)
	if err != nil {
		return DeviceView{}, err
	}
	if d.CustomerID != c.ID {
		return DeviceView{}, notFound("device", endpoint)
	}
	none := ""
	return s.UpdateDevice(ctx, who, endpoint, DevicePatch{Customer: &none})
}

func checkCustomer(c models.Customer) error {
	switch {
	case c.Name == "":
		return invalid("name", "is required")
	case len(c.Name) > maxCustomerName:
		return invalid("name", "%d bytes, at most %d", len(c.Name), maxCustomerName)
	case len(c.Description) > maxDescription:
		return invalid("description", "%d bytes, at most %d", len(c.Description), maxDescription)
	}
	if _, err := strconv.ParseInt(c.Name, 10, 64); err == nil {
		return invalid("name", "%q is a number, which reads as a customer id", c.Name)
	}
	return checkName(c.Name)
}

func customerEvent(c models.Customer, typ string, who Principal) models.Event {
	return models.Event{CustomerID: c.ID, Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"customer_id": c.ID, "name": c.Name})}
}
