package dm

import (
	"context"
	"fmt"

	"github.com/shoal-iot/shoal/models"
)

// StartCampaign starts a draft campaign. Starting a running campaign is a
// no-op; a paused one is resumed with ResumeCampaign, and a finished one
// cannot start (ErrConflict).
func (s *Service) StartCampaign(ctx context.Context, who Principal, id int64) (CampaignView, error) {
	if err := needFleet(who, "running firmware campaigns"); err != nil {
		return CampaignView{}, err
	}
	e, c, err := s.campaign(ctx, who, id)
	if err != nil {
		return CampaignView{}, err
	}
	if c.State != models.CampaignDraft && c.State != models.CampaignRunning {
		return CampaignView{}, fmt.Errorf("%w: campaign %d is %s; only a draft starts (resume a paused one)", ErrConflict, id, c.State)
	}
	return e.transition(ctx, who, id, "start")
}

// MaxImageSize is the largest image UploadImage takes; 0 when firmware is
// not enabled.
func (s *Service) MaxImageSize() int64 {
	if s.rt.fw == nil {
		return 0
	}
	return s.rt.fw.cfg.MaxImageSize
}

// DeviceFirmwareOf lists a device's firmware jobs, newest campaign first,
// for any caller who sees the device: a customer reads its own devices'
// (another customer's device is ErrNotFound, as everywhere).
func (s *Service) DeviceFirmwareOf(ctx context.Context, who Principal, endpoint string) ([]models.CampaignDevice, error) {
	d, err := s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return nil, err
	}
	e, err := s.firmware()
	if err != nil {
		return nil, err
	}
	return e.st.Jobs.ByDevice(ctx, d.ID)
}
