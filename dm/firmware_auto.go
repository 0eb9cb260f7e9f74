package dm

import (
	"context"
	"errors"
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// registered is told about a new registration: a job of the device looks
// again.
func (e *fwEngine) registered(r server.Registration) {
	e.heard(r.Endpoint, &r)
}

// targeted is told, once dm knows the registered device, that its profile
// names a target firmware: unless a job of the device runs, the device
// joins the profile's automatic campaign when it runs another firmware.
// (Checked here rather than in registered, so a registration whose device
// has no target costs no lookup.)
func (e *fwEngine) targeted(ep string) {
	e.mu.Lock()
	busy := e.byEP[ep] != nil
	e.mu.Unlock()
	if !busy {
		e.spawn(func(ctx context.Context) { e.autoCheck(ctx, ep) })
	}
}

// autoCheck compares the firmware a device runs with its profile's
// target and, when they differ, adds the device to the automatic campaign
// of the profile and target image.
func (e *fwEngine) autoCheck(ctx context.Context, ep string) {
	d, err := e.s.device(ctx, ep)
	if err != nil {
		return
	}
	prof, err := e.s.profileOf(ctx, d)
	if err != nil || prof == nil || prof.Spec.TargetFirmware == nil || prof.Spec.TargetFirmware.Version == "" {
		return
	}
	target := *prof.Spec.TargetFirmware
	snd, err := e.s.rt.sender()
	if err != nil {
		return
	}
	req := lwm2m.NewRequest(lwm2m.OpRead, pathFwVersion3)
	req.Timeout = e.s.cfg.RequestTimeout
	resp, err := snd.Send(ctx, ep, req)
	if err != nil || !resp.Code.IsSuccess() || resp.Content == nil {
		return
	}
	ver := resp.Content.Value.Text()
	if ver == target.Version {
		return
	}
	log := e.s.log.With().Str("endpoint", ep).Str("profile", prof.Name).Str("target", target.Version).Logger()
	img, err := e.targetImage(ctx, *prof, target)
	if err != nil {
		log.Warn().Err(err).Msg("dm: a device runs another firmware than its profile's target, which has no image")
		return
	}
	id, err := e.autoCampaign(ctx, *prof, img)
	if err != nil {
		log.Error().Err(err).Msg("dm: the automatic firmware campaign")
		return
	}
	n, err := e.st.Jobs.AddDevices(ctx, []models.CampaignDevice{{CampaignID: id, DeviceID: d.ID, FromVersion: ver}})
	if err != nil {
		log.Error().Err(err).Msg("dm: adding a device to the automatic firmware campaign")
		return
	}
	if n > 0 {
		e.s.record(ctx, deviceEvent(d, models.CategoryFirmware, "firmware.target", map[string]any{"campaign_id": id,
			"profile": prof.Name, "runs": ver, "target": target.Version, "image_id": img.ID}))
	}
	e.mu.Lock()
	e.woken[d.ID] = true
	e.mu.Unlock()
	e.poke()
}

// targetImage finds a profile target's image: the one it names, else the
// newest image of that version made for the profile (or for any).
func (e *fwEngine) targetImage(ctx context.Context, prof models.Profile, t models.FirmwareTarget) (models.FirmwareImage, error) {
	if t.ImageID != 0 {
		img, err := e.st.Images.Get(ctx, t.ImageID)
		if err == nil && img.Version != t.Version {
			return img, fmt.Errorf("image %d is version %s, not %s", img.ID, img.Version, t.Version)
		}
		return img, err
	}
	var best models.FirmwareImage
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := e.st.Images.List(ctx, p)
		if err != nil {
			return best, err
		}
		for _, img := range pg.Items {
			if img.Version == t.Version && (len(img.ProfileIDs) == 0 || containsID(img.ProfileIDs, prof.ID)) {
				best = img
			}
		}
		if pg.Next == "" {
			break
		}
		p.Cursor = pg.Next
	}
	if best.ID == 0 {
		return best, fmt.Errorf("no image of version %s: %w", t.Version, ErrNotFound)
	}
	return best, nil
}

// autoCampaign returns the running automatic campaign of a profile and
// image, creating it (and ending the profile's automatic campaigns for
// other images) when there is none.
func (e *fwEngine) autoCampaign(ctx context.Context, prof models.Profile, img models.FirmwareImage) (int64, error) {
	e.campMu.Lock()
	defer e.campMu.Unlock()
	var stale []models.Campaign
	e.mu.Lock()
	for _, cr := range e.camps {
		if cr.c.ProfileID != prof.ID {
			continue
		}
		if cr.c.ImageID == img.ID && cr.c.State == models.CampaignRunning {
			e.mu.Unlock()
			return cr.c.ID, nil
		}
		stale = append(stale, cr.c)
	}
	e.mu.Unlock()
	now := e.s.now()
	for _, c := range stale {
		c.State, c.StateReason, c.FinishedAt = models.CampaignCancelled, "profile "+prof.Name+" targets "+img.Version+" now", now
		if err := e.st.Campaigns.Update(ctx, &c); err != nil {
			return 0, err
		}
		e.applyState(ctx, c)
	}
	c := models.Campaign{Name: fmt.Sprintf("profile %s: firmware %s", prof.Name, img.Version), ImageID: img.ID,
		Selection: models.DeviceSelection{ProfileID: prof.ID}, Concurrency: e.cfg.AutoConcurrency,
		State: models.CampaignRunning, ProfileID: prof.ID, StartedAt: now,
		StateReason: "devices of the profile join as they register with another version"}
	if err := e.st.Campaigns.Create(ctx, &c); err != nil {
		if errors.Is(err, ErrInvalid) {
			return 0, fmt.Errorf("creating it: %w", err)
		}
		return 0, err
	}
	e.applyState(ctx, c)
	e.s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: "campaign.created", Actor: "system",
		Data: jsonOf(map[string]any{"campaign_id": c.ID, "name": c.Name, "image_id": img.ID, "version": img.Version, "profile": prof.Name})})
	return c.ID, nil
}
