package dm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// CampaignInput creates a campaign. Zero Concurrency means 10; Draft
// creates it without starting it (Resume starts it).
type CampaignInput struct {
	Name             string
	ImageID          int64
	Selection        models.DeviceSelection
	Concurrency      int
	FailureThreshold int
	StartAfter       time.Time
	StopAfter        time.Time
	Method           string
	Waves            []int
	WaveDelay        time.Duration
	MaxAttempts      int
	Draft            bool
}

// CampaignView is a campaign with its image and its devices counted by
// state.
type CampaignView struct {
	models.Campaign
	Image  models.FirmwareImage
	Counts map[models.CampaignDeviceState]int64
	Total  int64
}

// Campaign limits.
const (
	maxCampaignName        = 128
	defaultConcurrency     = 10
	maxCampaignConcurrency = 10000
	maxCampaignAttempts    = 100
)

// CreateCampaign validates a campaign, selects its devices (each gets a
// pending row in its wave; devices whose profile the image is not for are
// skipped) and starts it unless it is a draft.
func (s *Service) CreateCampaign(ctx context.Context, who Principal, in CampaignInput) (CampaignView, error) {
	if err := needFleet(who, "running firmware campaigns"); err != nil {
		return CampaignView{}, err
	}
	e, err := s.firmware()
	if err != nil {
		return CampaignView{}, err
	}
	if err := checkCampaignInput(&in); err != nil {
		return CampaignView{}, err
	}
	img, err := e.st.Images.Get(ctx, in.ImageID)
	if errors.Is(err, ErrNotFound) {
		return CampaignView{}, invalid("image_id", "no firmware image %d", in.ImageID)
	} else if err != nil {
		return CampaignView{}, err
	}
	f, err := s.selectionFilter(ctx, who, in.Selection)
	if err != nil {
		return CampaignView{}, err
	}
	if pg, err := s.st.Devices.List(ctx, f, PageRequest{Limit: 1}); err != nil {
		return CampaignView{}, err
	} else if pg.Total == 0 {
		return CampaignView{}, invalid("selection", "matches no devices")
	}
	c := models.Campaign{Name: in.Name, ImageID: img.ID, Selection: in.Selection, Concurrency: in.Concurrency,
		FailureThreshold: in.FailureThreshold, State: models.CampaignDraft, StartAfter: in.StartAfter, StopAfter: in.StopAfter,
		Method: in.Method, Waves: in.Waves, WaveDelay: models.Duration(in.WaveDelay), MaxAttempts: in.MaxAttempts}
	if err := e.st.Campaigns.Create(ctx, &c); err != nil {
		return CampaignView{}, err
	}
	if err := e.materialize(ctx, c, img, f); err != nil {
		return CampaignView{}, err
	}
	s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: "campaign.created", Actor: who.Actor(),
		Data: jsonOf(map[string]any{"campaign_id": c.ID, "name": c.Name, "image_id": img.ID, "version": img.Version})})
	if !in.Draft {
		return e.transition(ctx, who, c.ID, "start")
	}
	return e.view(ctx, c)
}

func checkCampaignInput(in *CampaignInput) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Concurrency == 0 {
		in.Concurrency = defaultConcurrency
	}
	switch {
	case in.Name == "":
		return invalid("name", "is required")
	case len(in.Name) > maxCampaignName:
		return invalid("name", "%d bytes, at most %d", len(in.Name), maxCampaignName)
	case in.ImageID <= 0:
		return invalid("image_id", "is required")
	case in.Concurrency < 1 || in.Concurrency > maxCampaignConcurrency:
		return invalid("concurrency", "%d is outside 1..%d", in.Concurrency, maxCampaignConcurrency)
	case in.FailureThreshold < 0:
		return invalid("failure_threshold", "%d is negative", in.FailureThreshold)
	case in.Method != "" && in.Method != models.DeliveryPull && in.Method != models.DeliveryPush:
		return invalid("method", "%q is neither pull nor push", in.Method)
	case in.WaveDelay < 0:
		return invalid("wave_delay", "%v is negative", in.WaveDelay)
	case in.MaxAttempts < 0 || in.MaxAttempts > maxCampaignAttempts:
		return invalid("max_attempts", "%d is outside 0..%d", in.MaxAttempts, maxCampaignAttempts)
	case !in.StartAfter.IsZero() && !in.StopAfter.IsZero() && !in.StopAfter.After(in.StartAfter):
		return invalid("stop_after", "is not after start_after")
	}
	for i, w := range in.Waves {
		if w < 1 {
			return invalid(fmt.Sprintf("waves[%d]", i), "%d devices; a wave needs at least one", w)
		}
	}
	return nil
}

// materialize gives every device the selection matches a pending row in
// its wave, in device order.
func (e *fwEngine) materialize(ctx context.Context, c models.Campaign, img models.FirmwareImage, f DeviceFilter) error {
	now := e.s.now()
	p := PageRequest{Limit: MaxPageLimit}
	idx := 0
	for {
		pg, err := e.s.st.Devices.List(ctx, f, p)
		if err != nil {
			return err
		}
		rows := make([]models.CampaignDevice, 0, len(pg.Items))
		for _, d := range pg.Items {
			r := models.CampaignDevice{CampaignID: c.ID, DeviceID: d.ID, Wave: waveOf(c.Waves, idx)}
			if len(img.ProfileIDs) > 0 && !containsID(img.ProfileIDs, d.ProfileID) {
				r.State, r.Reason, r.FinishedAt = models.CampaignDeviceSkipped, ReasonIncompatibleProf, now
				r.Detail = fmt.Sprintf("the image is for profiles %v; the device has profile %d", img.ProfileIDs, d.ProfileID)
			}
			rows = append(rows, r)
			idx++
		}
		if _, err := e.st.Jobs.AddDevices(ctx, rows); err != nil {
			return err
		}
		if pg.Next == "" {
			return nil
		}
		p.Cursor = pg.Next
	}
}

// waveOf returns the wave of the idx-th device: the given wave sizes in
// order, then one last wave for the rest.
func waveOf(waves []int, idx int) int {
	for w, n := range waves {
		if idx < n {
			return w
		}
		idx -= n
	}
	return len(waves)
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// view adds the image and the counts to a campaign.
func (e *fwEngine) view(ctx context.Context, c models.Campaign) (CampaignView, error) {
	v := CampaignView{Campaign: c}
	img, err := e.st.Images.Get(ctx, c.ImageID)
	if err != nil {
		return v, err
	}
	v.Image = img
	if v.Counts, err = e.st.Campaigns.Counts(ctx, c.ID); err != nil {
		return v, err
	}
	for _, n := range v.Counts {
		v.Total += n
	}
	return v, nil
}

// GetCampaign returns a campaign with its progress.
func (s *Service) GetCampaign(ctx context.Context, who Principal, id int64) (CampaignView, error) {
	e, c, err := s.campaign(ctx, who, id)
	if err != nil {
		return CampaignView{}, err
	}
	return e.view(ctx, c)
}

func (s *Service) campaign(ctx context.Context, who Principal, id int64) (*fwEngine, models.Campaign, error) {
	if err := needFleet(who, "reading firmware campaigns"); err != nil {
		return nil, models.Campaign{}, err
	}
	e, err := s.firmware()
	if err != nil {
		return nil, models.Campaign{}, err
	}
	c, err := e.st.Campaigns.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return e, c, notFound("campaign", id)
	}
	return e, c, err
}

// ListCampaigns lists campaigns in id order with their progress.
func (s *Service) ListCampaigns(ctx context.Context, who Principal, p PageRequest) (Page[CampaignView], error) {
	if err := needFleet(who, "reading firmware campaigns"); err != nil {
		return Page[CampaignView]{}, err
	}
	e, err := s.firmware()
	if err != nil {
		return Page[CampaignView]{}, err
	}
	pg, err := e.st.Campaigns.List(ctx, p)
	if err != nil {
		return Page[CampaignView]{}, err
	}
	out := Page[CampaignView]{Total: pg.Total, Next: pg.Next, Items: make([]CampaignView, 0, len(pg.Items))}
	for _, c := range pg.Items {
		v, err := e.view(ctx, c)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// CampaignDevices lists a campaign's devices (all states when states is
// empty) in device id order, with the reason of each failure.
func (s *Service) CampaignDevices(ctx context.Context, who Principal, id int64, states []models.CampaignDeviceState, p PageRequest) (Page[models.CampaignDevice], error) {
	e, c, err := s.campaign(ctx, who, id)
	if err != nil {
		return Page[models.CampaignDevice]{}, err
	}
	return e.st.Campaigns.Devices(ctx, c.ID, states, p)
}

// DeviceFirmware lists a device's firmware jobs, newest campaign first.
func (s *Service) DeviceFirmware(ctx context.Context, who Principal, endpoint string) ([]models.CampaignDevice, error) {
	if err := needFleet(who, "reading firmware jobs"); err != nil {
		return nil, err
	}
	e, err := s.firmware()
	if err != nil {
		return nil, err
	}
	d, err := s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return nil, err
	}
	return e.st.Jobs.ByDevice(ctx, d.ID)
}

// PauseCampaign stops a running campaign from starting devices; updates
// under way finish.
func (s *Service) PauseCampaign(ctx context.Context, who Principal, id int64) (CampaignView, error) {
	return s.campaignAction(ctx, who, id, "pause")
}

// ResumeCampaign starts a paused or draft campaign again; its failure
// threshold counts failures from now on.
func (s *Service) ResumeCampaign(ctx context.Context, who Principal, id int64) (CampaignView, error) {
	return s.campaignAction(ctx, who, id, "resume")
}

// CancelCampaign ends a campaign: devices not started are cancelled, and
// so are downloads under way (/5/0/10 or an empty Package URI); devices
// already installing finish.
func (s *Service) CancelCampaign(ctx context.Context, who Principal, id int64) (CampaignView, error) {
	return s.campaignAction(ctx, who, id, "cancel")
}

func (s *Service) campaignAction(ctx context.Context, who Principal, id int64, verb string) (CampaignView, error) {
	e, _, err := s.campaign(ctx, who, id)
	if err != nil {
		return CampaignView{}, err
	}
	if err := needFleet(who, "running firmware campaigns"); err != nil {
		return CampaignView{}, err
	}
	return e.transition(ctx, who, id, verb)
}

// DeleteCampaign deletes a finished (completed or cancelled) or draft
// campaign with its device rows.
func (s *Service) DeleteCampaign(ctx context.Context, who Principal, id int64) error {
	e, c, err := s.campaign(ctx, who, id)
	if err != nil {
		return err
	}
	e.campMu.Lock()
	defer e.campMu.Unlock()
	if c, err = e.st.Campaigns.Get(ctx, id); err != nil {
		return err
	}
	if c.State == models.CampaignRunning || c.State == models.CampaignPaused {
		return fmt.Errorf("%w: campaign %d is %s; cancel it first", ErrConflict, id, c.State)
	}
	if e.activeOf(id) > 0 {
		return fmt.Errorf("%w: campaign %d still has devices installing", ErrConflict, id)
	}
	if err := e.st.Campaigns.Delete(ctx, id); err != nil {
		return err
	}
	s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: "campaign.deleted", Actor: who.Actor(),
		Data: jsonOf(map[string]any{"campaign_id": id, "name": c.Name})})
	return nil
}

// activeOf counts a campaign's jobs in memory.
func (e *fwEngine) activeOf(id int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, j := range e.jobs {
		if j.row.CampaignID == id {
			n++
		}
	}
	return n
}
