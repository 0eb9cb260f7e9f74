package dm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// maxProfileName bounds profile names.
const maxProfileName = 128

// Profiles are fleet configuration: every profile use case needs the
// admin or operator role.

// CreateProfile validates and stores a profile.
func (s *Service) CreateProfile(ctx context.Context, who Principal, p models.Profile) (models.Profile, error) {
	if err := needFleet(who, "managing profiles"); err != nil {
		return models.Profile{}, err
	}
	p.ID = 0
	if err := s.validateProfile(&p); err != nil {
		return models.Profile{}, err
	}
	if err := s.st.Profiles.Create(ctx, &p); err != nil {
		return models.Profile{}, err
	}
	s.record(ctx, models.Event{Category: models.CategoryAudit, Type: "profile.created", Actor: who.Actor(), Data: jsonOf(map[string]any{"id": p.ID, "name": p.Name})})
	return p, nil
}

// GetProfile returns a profile by name or numeric id.
func (s *Service) GetProfile(ctx context.Context, who Principal, ref string) (models.Profile, error) {
	if err := needFleet(who, "reading profiles"); err != nil {
		return models.Profile{}, err
	}
	return s.getProfile(ctx, ref)
}

func (s *Service) getProfile(ctx context.Context, ref string) (models.Profile, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return models.Profile{}, fmt.Errorf("%w: profile: empty reference", ErrInvalid)
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		p, err := s.st.Profiles.Get(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			return p, err
		}
	}
	return s.st.Profiles.GetByName(ctx, ref)
}

// ListProfiles lists profiles.
func (s *Service) ListProfiles(ctx context.Context, who Principal, p PageRequest) (Page[models.Profile], error) {
	if err := needFleet(who, "reading profiles"); err != nil {
		return Page[models.Profile]{}, err
	}
	return s.st.Profiles.List(ctx, p)
}

// UpdateProfile replaces a profile's name, description and spec. Devices
// get the new spec when they next register.
func (s *Service) UpdateProfile(ctx context.Context, who Principal, ref string, p models.Profile) (models.Profile, error) {
	old, err := s.GetProfile(ctx, who, ref)
	if err != nil {
		return models.Profile{}, err
	}
	p.ID, p.CreatedAt = old.ID, old.CreatedAt
	if p.Name == "" {
		p.Name = old.Name
	}
	if err := s.validateProfile(&p); err != nil {
		return models.Profile{}, err
	}
	if err := s.st.Profiles.Update(ctx, &p); err != nil {
		return models.Profile{}, err
	}
	s.rt.devices.dropProfile(p.ID)
	s.record(ctx, models.Event{Category: models.CategoryAudit, Type: "profile.updated", Actor: who.Actor(), Data: jsonOf(map[string]any{"id": p.ID, "name": p.Name})})
	return p, nil
}

// DeleteProfile deletes a profile no device uses (ErrConflict otherwise).
func (s *Service) DeleteProfile(ctx context.Context, who Principal, ref string) error {
	p, err := s.GetProfile(ctx, who, ref)
	if err != nil {
		return err
	}
	if err := s.st.Profiles.Delete(ctx, p.ID); err != nil {
		return err
	}
	s.rt.devices.dropProfile(p.ID)
	s.rt.alarms.invalidate()
	s.record(ctx, models.Event{Category: models.CategoryAudit, Type: "profile.deleted", Actor: who.Actor(), Data: jsonOf(map[string]any{"id": p.ID, "name": p.Name})})
	return nil
}

// validateProfile checks a profile and fills the spec's defaults. Errors
// wrap ErrInvalid and name the field.
func (s *Service) validateProfile(p *models.Profile) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
	}
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case p.Name == "":
		return bad("name", "is required")
	case len(p.Name) > maxProfileName:
		return bad("name", "%d bytes, at most %d", len(p.Name), maxProfileName)
	}
	if _, err := strconv.ParseInt(p.Name, 10, 64); err == nil {
		return bad("name", "%q is a number; names must not look like ids", p.Name)
	}
	sp := &p.Spec
	switch sp.Observe.Strategy {
	case "":
		sp.Observe.Strategy = models.ObserveSingle
	case models.ObserveSingle, models.ObserveCompositeAll, models.ObserveCompositePerObject:
	default:
		return bad("spec.observe.strategy", "%q is not single, composite-all or composite-per-object", sp.Observe.Strategy)
	}
	seen := map[lwm2m.Path]bool{}
	for i, t := range sp.Observe.Targets {
		field := fmt.Sprintf("spec.observe.targets[%d]", i)
		if err := s.checkModelPath(t.Path, 1); err != nil {
			return bad(field+".path", "%v", err)
		}
		if seen[t.Path] {
			return bad(field+".path", "%s is observed twice", t.Path)
		}
		seen[t.Path] = true
		if err := validateAttributes(&t.Attributes); err != nil {
			return bad(field+".attributes", "%v", err)
		}
	}
	for _, m := range []struct {
		field string
		list  []models.PathMapping
	}{{"spec.telemetry", sp.Telemetry}, {"spec.attributes", sp.Attributes}} {
		names, paths := map[string]bool{}, map[lwm2m.Path]bool{}
		for i, pm := range m.list {
			field := fmt.Sprintf("%s[%d]", m.field, i)
			if err := s.checkModelPath(pm.Path, 3); err != nil {
				return bad(field+".path", "%v", err)
			}
			if strings.TrimSpace(pm.Name) == "" {
				return bad(field+".name", "is required")
			}
			if names[pm.Name] || paths[pm.Path] {
				return bad(field, "%s → %q maps a path or a name twice", pm.Path, pm.Name)
			}
			names[pm.Name], paths[pm.Path] = true, true
		}
	}
	if sp.Format != nil && !usableFormat(*sp.Format) {
		return bad("spec.format", "%s is not a content format Shoal can read and write", *sp.Format)
	}
	if sp.AwakeWindow < 0 {
		return bad("spec.awake_window", "%v is negative", sp.AwakeWindow.D())
	}
	if sp.CommandExpiry < 0 {
		return bad("spec.command_expiry", "%v is negative", sp.CommandExpiry.D())
	}
	if err := validateRetry("spec.retry", sp.Retry); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if sp.TargetFirmware != nil && strings.TrimSpace(sp.TargetFirmware.Version) == "" {
		return bad("spec.target_firmware.version", "is required")
	}
	return nil
}

// usableFormat reports whether f is a format for reading and writing
// object data (not link format).
func usableFormat(f lwm2m.ContentFormat) bool {
	return f.Known() && f.Canonical() != lwm2m.FormatLinkFormat
}

// checkModelPath checks a path is at least minDepth deep and, for objects
// Shoal knows, names resources that exist.
func (s *Service) checkModelPath(p lwm2m.Path, minDepth int) error {
	if p.Len() < minDepth {
		return fmt.Errorf("%s: needs %s path", p, [...]string{"", "an object, instance or resource", "an instance or resource", "a resource or resource-instance"}[minDepth])
	}
	if p.Len() < 3 {
		return nil
	}
	o, ok := s.models.Object(p.Object(), "")
	if !ok {
		return nil // a vendor object Shoal has no model of
	}
	r, ok := o.Resource(p.Resource())
	if !ok {
		return fmt.Errorf("%s: object %d (%s) has no resource %d", p, o.ID, o.Name, p.Resource())
	}
	if p.Len() == 4 && !r.Multiple {
		return fmt.Errorf("%s: resource %s is not a multiple resource", p, r.Name)
	}
	return nil
}

// validateAttributes checks notification attributes beyond their syntax:
// pmin ≤ pmax, epmin ≤ epmax, and lt + 2·st < gt (Core TS 1.1 §5.1.2).
func validateAttributes(a *lwm2m.Attributes) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Pmin != nil && a.Pmax != nil && *a.Pmax != 0 && *a.Pmin > *a.Pmax {
		return fmt.Errorf("pmin %d > pmax %d", *a.Pmin, *a.Pmax)
	}
	if a.Epmin != nil && a.Epmax != nil && *a.Epmin > *a.Epmax {
		return fmt.Errorf("epmin %d > epmax %d", *a.Epmin, *a.Epmax)
	}
	if a.Lt != nil && a.Gt != nil {
		st := 0.0
		if a.St != nil {
			st = *a.St
		}
		if *a.Lt+2*st >= *a.Gt {
			return fmt.Errorf("lt %v + 2·st %v must be below gt %v", *a.Lt, st, *a.Gt)
		}
	}
	return nil
}

// validateRetry checks a retry policy; the zero policy means "use the
// default".
func validateRetry(field string, r models.RetryPolicy) error {
	switch {
	case r.MaxAttempts < 0 || r.MaxAttempts > 100:
		return fmt.Errorf("%s.max_attempts: %d is not within 0..100", field, r.MaxAttempts)
	case r.Backoff < 0:
		return fmt.Errorf("%s.backoff: %v is negative", field, r.Backoff.D())
	case r.MaxBackoff < 0:
		return fmt.Errorf("%s.max_backoff: %v is negative", field, r.MaxBackoff.D())
	case r.Multiplier != 0 && (r.Multiplier < 1 || r.Multiplier > 100):
		return fmt.Errorf("%s.multiplier: %v is not within 1..100", field, r.Multiplier)
	}
	return nil
}
