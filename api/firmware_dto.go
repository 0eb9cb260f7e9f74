package api

import (
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// firmwareImageDTO is an image as the API shows it: never where its bytes
// are kept.
type firmwareImageDTO struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Models     []string  `json:"models"`
	ProfileIDs []int64   `json:"profile_ids"`
	Notes      string    `json:"notes"`
	CreatedAt  time.Time `json:"created_at"`
}

func toFirmwareImageDTO(img models.FirmwareImage) firmwareImageDTO {
	d := firmwareImageDTO{ID: img.ID, Name: img.Name, Version: img.Version, Size: img.Size, SHA256: img.SHA256,
		Models: img.Models, ProfileIDs: img.ProfileIDs, Notes: img.Notes, CreatedAt: img.CreatedAt}
	if d.Models == nil {
		d.Models = []string{}
	}
	if d.ProfileIDs == nil {
		d.ProfileIDs = []int64{}
	}
	return d
}

// campaignDeviceStates are every per-device state, in the order of a
// device's progress; a campaign view counts each of them.
var campaignDeviceStates = []models.CampaignDeviceState{
	models.CampaignDevicePending, models.CampaignDeviceDownloading, models.CampaignDeviceDownloaded,
	models.CampaignDeviceUpdating, models.CampaignDeviceSucceeded, models.CampaignDeviceFailed,
	models.CampaignDeviceCancelled, models.CampaignDeviceSkipped,
}

// campaignDTO is a campaign with its image and its devices counted by
// state (every state, zeros included).
type campaignDTO struct {
	models.Campaign
	Image  firmwareImageDTO                     `json:"image"`
	Counts map[models.CampaignDeviceState]int64 `json:"counts"`
	Total  int64                                `json:"total"`
}

func toCampaignDTO(v dm.CampaignView) campaignDTO {
	d := campaignDTO{Campaign: v.Campaign, Image: toFirmwareImageDTO(v.Image), Total: v.Total,
		Counts: make(map[models.CampaignDeviceState]int64, len(campaignDeviceStates))}
	for _, st := range campaignDeviceStates {
		d.Counts[st] = v.Counts[st]
	}
	for st, n := range v.Counts {
		d.Counts[st] = n
	}
	return d
}

// campaignDeviceDTO is one device's job in a campaign. The stored token
// hash is never shown (models.CampaignDevice does not marshal it).
type campaignDeviceDTO = models.CampaignDevice
