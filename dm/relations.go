package dm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shoal-iot/shoal/models"
)

// maxRelationType bounds relation type names.
const maxRelationType = 64

// RelationView is a relation with the names of its ends (a device's
// endpoint, an asset's name).
type RelationView struct {
	models.Relation
	FromName string
	ToName   string
}

// Relate adds a typed relation between a device and an asset or two
// assets. "contains" builds the asset hierarchy: it goes from an asset,
// and one that would close a cycle (an asset containing itself, directly
// or through others) is ErrInvalid. Both ends must exist and be visible to
// the caller (ErrInvalid otherwise, alike for both).
func (s *Service) Relate(ctx context.Context, who Principal, r models.Relation) (RelationView, error) {
	r.Type = strings.TrimSpace(r.Type)
	if err := checkRelationType(r.Type); err != nil {
		return RelationView{}, err
	}
	if r.From.Kind == models.EntityDevice && r.To.Kind == models.EntityDevice {
		return RelationView{}, invalid("to", "relations link a device and an asset, or two assets")
	}
	if r.Type == models.RelationContains && r.From.Kind != models.EntityAsset {
		return RelationView{}, invalid("from", "only an asset contains things")
	}
	if r.From == r.To {
		return RelationView{}, invalid("to", "an entity cannot relate to itself")
	}
	v := RelationView{Relation: r}
	var err error
	if v.FromName, err = s.entityFor(ctx, who, "from", r.From); err != nil {
		return RelationView{}, err
	}
	if v.ToName, err = s.entityFor(ctx, who, "to", r.To); err != nil {
		return RelationView{}, err
	}
	// One hierarchy change at a time on this node, so two concurrent
	// relations cannot close a cycle between them.
	s.rt.relMu.Lock()
	defer s.rt.relMu.Unlock()
	if r.Type == models.RelationContains && r.To.Kind == models.EntityAsset {
		below, err := s.st.Relations.Descendants(ctx, r.To, models.RelationContains)
		if err != nil {
			return RelationView{}, err
		}
		if slices.Contains(below, r.From) {
			return RelationView{}, invalid("to", "asset %d already contains asset %d: the relation would create a cycle", r.To.ID, r.From.ID)
		}
	}
	if err := s.st.Relations.Put(ctx, &v.Relation); err != nil {
		return RelationView{}, err
	}
	s.record(ctx, s.relationEvent(ctx, v.Relation, "relation.created", who))
	return v, nil
}

// Unrelate deletes a relation between two entities the caller sees.
func (s *Service) Unrelate(ctx context.Context, who Principal, r models.Relation) error {
	if _, err := s.entityFor(ctx, who, "from", r.From); err != nil {
		return err
	}
	if _, err := s.entityFor(ctx, who, "to", r.To); err != nil {
		return err
	}
	if err := s.st.Relations.Delete(ctx, r.From, r.To, r.Type); err != nil {
		if errors.Is(err, ErrNotFound) {
			return notFound("relation", fmt.Sprintf("%s %d -%s-> %s %d", r.From.Kind, r.From.ID, r.Type, r.To.Kind, r.To.ID))
		}
		return err
	}
	s.record(ctx, s.relationEvent(ctx, r, "relation.deleted", who))
	return nil
}

// DeviceRelations returns what a device is related to: the relations to
// and from it whose other end the caller sees.
func (s *Service) DeviceRelations(ctx context.Context, who Principal, endpoint string) ([]RelationView, error) {
	d, err := s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return nil, err
	}
	return s.relationsOf(ctx, who, models.EntityRef{Kind: models.EntityDevice, ID: d.ID})
}

// AssetRelations returns the relations to and from an asset whose other
// end the caller sees.
func (s *Service) AssetRelations(ctx context.Context, who Principal, id int64) ([]RelationView, error) {
	if _, err := s.assetFor(ctx, who, id); err != nil {
		return nil, err
	}
	return s.relationsOf(ctx, who, models.EntityRef{Kind: models.EntityAsset, ID: id})
}

func (s *Service) relationsOf(ctx context.Context, who Principal, e models.EntityRef) ([]RelationView, error) {
	from, err := s.st.Relations.From(ctx, e)
	if err != nil {
		return nil, err
	}
	to, err := s.st.Relations.To(ctx, e)
	if err != nil {
		return nil, err
	}
	out := make([]RelationView, 0, len(from)+len(to))
	for _, r := range append(from, to...) {
		v := RelationView{Relation: r}
		if v.FromName, err = s.entityFor(ctx, who, "from", r.From); err != nil {
			if errors.Is(err, ErrInvalid) {
				continue // not visible to the caller
			}
			return nil, err
		}
		if v.ToName, err = s.entityFor(ctx, who, "to", r.To); err != nil {
			if errors.Is(err, ErrInvalid) {
				continue
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// entityFor returns the name of a relation end the caller sees; a missing
// or invisible one is ErrInvalid naming field.
func (s *Service) entityFor(ctx context.Context, who Principal, field string, e models.EntityRef) (string, error) {
	switch e.Kind {
	case models.EntityDevice:
		d, err := s.deviceByID(ctx, e.ID)
		if errors.Is(err, ErrNotFound) || err == nil && !who.sees(d.CustomerID) {
			return "", invalid(field, "device %d does not exist", e.ID)
		}
		return d.Endpoint, err
	case models.EntityAsset:
		a, err := s.st.Assets.Get(ctx, e.ID)
		if errors.Is(err, ErrNotFound) || err == nil && !who.sees(a.CustomerID) {
			return "", invalid(field, "asset %d does not exist", e.ID)
		}
		return a.Name, err
	}
	return "", invalid(field, "kind %q is not device or asset", e.Kind)
}

func checkRelationType(t string) error {
	if t == "" || len(t) > maxRelationType {
		return invalid("type", "must be 1 to %d characters", maxRelationType)
	}
	for i, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalid("type", "character %q at byte %d: use a-z, 0-9, '-', '_' or '.'", r, i)
		}
	}
	return nil
}

// relationEvent is the audit event of a relation change; it belongs to
// the customer of its device end, else of its asset ends when they agree.
func (s *Service) relationEvent(ctx context.Context, r models.Relation, typ string, who Principal) models.Event {
	e := models.Event{Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"from": r.From, "to": r.To, "type": r.Type})}
	owner := func(ref models.EntityRef) int64 {
		if ref.Kind == models.EntityDevice {
			if d, err := s.deviceByID(ctx, ref.ID); err == nil {
				e.DeviceID, e.Endpoint = d.ID, d.Endpoint
				return d.CustomerID
			}
			return 0
		}
		if a, err := s.st.Assets.Get(ctx, ref.ID); err == nil {
			return a.CustomerID
		}
		return 0
	}
	if a, b := owner(r.From), owner(r.To); a == b {
		e.CustomerID = a
	}
	return e
}
