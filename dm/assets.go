package dm

import (
	"context"
	"errors"
	"strings"

	"github.com/shoal-iot/shoal/models"
)

// Limits on asset fields.
const (
	maxAssetName = 255
	maxAssetType = 64
)

// AssetPatch changes an asset: nil fields stay; Labels replace all labels
// when non-nil; a Customer of 0 detaches the asset from its customer.
type AssetPatch struct {
	Name     *string
	Type     *string
	Customer *int64
	Labels   map[string]string
}

// CreateAsset adds an asset. A customer's assets are always its own; an
// admin or operator may give any customer (or none).
func (s *Service) CreateAsset(ctx context.Context, who Principal, a models.Asset) (models.Asset, error) {
	a.ID = 0
	a.Name, a.Type = strings.TrimSpace(a.Name), strings.TrimSpace(a.Type)
	if who.scoped() {
		if err := who.scopeCustomer(&a.CustomerID); err != nil {
			return models.Asset{}, err
		}
		if a.CustomerID != who.CustomerID {
			return models.Asset{}, notFound("customer", a.CustomerID)
		}
	}
	if err := checkAsset(a); err != nil {
		return models.Asset{}, err
	}
	if err := s.st.Assets.Create(ctx, &a); err != nil {
		return models.Asset{}, err
	}
	s.record(ctx, assetEvent(a, "asset.created", who))
	return a, nil
}

// GetAsset returns an asset the caller may see.
func (s *Service) GetAsset(ctx context.Context, who Principal, id int64) (models.Asset, error) {
	return s.assetFor(ctx, who, id)
}

// ListAssets lists assets in id order; a customer lists its own.
func (s *Service) ListAssets(ctx context.Context, who Principal, f AssetFilter, p PageRequest) (Page[models.Asset], error) {
	if err := who.scopeCustomer(&f.CustomerID); err != nil {
		return Page[models.Asset]{}, err
	}
	return s.st.Assets.List(ctx, f, p)
}

// UpdateAsset changes an asset; moving it to another customer needs the
// admin or operator role.
func (s *Service) UpdateAsset(ctx context.Context, who Principal, id int64, patch AssetPatch) (models.Asset, error) {
	a, err := s.assetFor(ctx, who, id)
	if err != nil {
		return models.Asset{}, err
	}
	if patch.Name != nil {
		a.Name = strings.TrimSpace(*patch.Name)
	}
	if patch.Type != nil {
		a.Type = strings.TrimSpace(*patch.Type)
	}
	if patch.Customer != nil {
		if err := needFleet(who, "moving an asset to another customer"); err != nil {
			return models.Asset{}, err
		}
		a.CustomerID = *patch.Customer
	}
	if patch.Labels != nil {
		a.Labels = patch.Labels
	}
	if err := checkAsset(a); err != nil {
		return models.Asset{}, err
	}
	if err := s.st.Assets.Update(ctx, &a); err != nil {
		return models.Asset{}, err
	}
	s.record(ctx, assetEvent(a, "asset.updated", who))
	return a, nil
}

// DeleteAsset deletes an asset and every relation touching it.
func (s *Service) DeleteAsset(ctx context.Context, who Principal, id int64) error {
	a, err := s.assetFor(ctx, who, id)
	if err != nil {
		return err
	}
	if err := s.st.Assets.Delete(ctx, id); err != nil {
		return err
	}
	s.record(ctx, assetEvent(a, "asset.deleted", who))
	return nil
}

// DevicesUnder lists the devices an asset contains, directly or through
// the assets it contains, that the caller may see.
func (s *Service) DevicesUnder(ctx context.Context, who Principal, assetID int64, f DeviceFilter, p PageRequest) (Page[DeviceView], error) {
	if _, err := s.assetFor(ctx, who, assetID); err != nil {
		return Page[DeviceView]{}, err
	}
	f.AssetID = assetID
	return s.ListDevices(ctx, who, f, p)
}

// assetFor returns an asset, hidden from callers who may not see it.
func (s *Service) assetFor(ctx context.Context, who Principal, id int64) (models.Asset, error) {
	a, err := s.st.Assets.Get(ctx, id)
	if errors.Is(err, ErrNotFound) || err == nil && !who.sees(a.CustomerID) {
		return models.Asset{}, notFound("asset", id)
	}
	return a, err
}

func checkAsset(a models.Asset) error {
	switch {
	case a.Name == "":
		return invalid("name", "is required")
	case len(a.Name) > maxAssetName:
		return invalid("name", "%d bytes, at most %d", len(a.Name), maxAssetName)
	case len(a.Type) > maxAssetType:
		return invalid("type", "%d bytes, at most %d", len(a.Type), maxAssetType)
	case a.CustomerID < 0:
		return invalid("customer", "%d is not a customer id", a.CustomerID)
	}
	if err := checkName(a.Name); err != nil {
		return err
	}
	return checkLabels(a.Labels)
}

func assetEvent(a models.Asset, typ string, who Principal) models.Event {
	return models.Event{CustomerID: a.CustomerID, Category: models.CategoryAudit, Type: typ, Actor: who.Actor(),
		Data: jsonOf(map[string]any{"asset_id": a.ID, "name": a.Name, "type": a.Type})}
}
