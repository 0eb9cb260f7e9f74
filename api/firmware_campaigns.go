package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// campaignSelectionDTO is a campaign's device selection: issue 5's
// command selection (a profile by name or id), also taking the member
// names a campaign view shows (profile_id, customer_id, asset_id), so a
// view's selection can be sent back.
type campaignSelectionDTO struct {
	selectionDTO
	ProfileID  int64 `json:"profile_id,omitempty"`
	CustomerID int64 `json:"customer_id,omitempty"`
	AssetID    int64 `json:"asset_id,omitempty"`
}

// campaignBodyDTO is the body of POST /campaigns.
type campaignBodyDTO struct {
	Name             string                `json:"name"`
	ImageID          int64                 `json:"image_id"`
	Selection        *campaignSelectionDTO `json:"selection"`
	Concurrency      int                   `json:"concurrency"`
	FailureThreshold int                   `json:"failure_threshold"`
	StartAfter       string                `json:"start_after"`
	StopAfter        string                `json:"stop_after"`
	Method           string                `json:"method"`
	Waves            []int                 `json:"waves"`
	WaveDelay        json.RawMessage       `json:"wave_delay"`
	MaxAttempts      int                   `json:"max_attempts"`
	Draft            bool                  `json:"draft"`
}

// maxWaveDelay bounds a campaign's pause between waves.
const maxWaveDelay = 30 * 24 * time.Hour

// parseCampaignBody decodes and checks a campaign body as far as it can
// without the store (the selection's profile is resolved by the caller).
// It is the fuzzer's way in.
func parseCampaignBody(b []byte) (dm.CampaignInput, string, error) {
	var body campaignBodyDTO
	if err := decodeJSON(bytes.NewReader(b), &body); err != nil {
		return dm.CampaignInput{}, "", err
	}
	return body.input()
}

// input converts the body; profile is the selection's profile reference
// (name or id) still to resolve, "" when none.
func (b *campaignBodyDTO) input() (dm.CampaignInput, string, error) {
	in := dm.CampaignInput{Name: b.Name, ImageID: b.ImageID, Concurrency: b.Concurrency, FailureThreshold: b.FailureThreshold,
		Method: b.Method, Waves: b.Waves, MaxAttempts: b.MaxAttempts, Draft: b.Draft}
	if strings.TrimSpace(b.Name) == "" {
		return in, "", badField("name", "is required")
	}
	if b.ImageID <= 0 {
		return in, "", badField("image_id", "is required: the id of an uploaded firmware image")
	}
	sel := b.Selection
	if sel == nil || len(sel.IDs) == 0 && len(sel.Endpoints) == 0 && len(sel.Labels) == 0 && sel.Profile == "" &&
		sel.Customer == 0 && sel.Asset == 0 && sel.ProfileID == 0 && sel.CustomerID == 0 && sel.AssetID == 0 {
		return in, "", badField("selection", "selects nothing: name ids, endpoints, labels, a profile, a customer or an asset")
	}
	for _, pair := range []struct {
		name   string
		a, b   int64
		target *int64
	}{
		{"customer", sel.Customer, sel.CustomerID, &in.Selection.CustomerID},
		{"asset", sel.Asset, sel.AssetID, &in.Selection.AssetID},
	} {
		if pair.a != 0 && pair.b != 0 && pair.a != pair.b {
			return in, "", badField("selection."+pair.name, "%d and %s_id %d disagree", pair.a, pair.name, pair.b)
		}
		*pair.target = max(pair.a, pair.b)
	}
	in.Selection.IDs, in.Selection.Endpoints, in.Selection.Labels = sel.IDs, sel.Endpoints, sel.Labels
	profile := string(sel.Profile)
	if sel.ProfileID != 0 {
		if profile != "" && profile != strconv.FormatInt(sel.ProfileID, 10) {
			return in, "", badField("selection.profile", "%q and profile_id %d disagree", profile, sel.ProfileID)
		}
		profile = strconv.FormatInt(sel.ProfileID, 10)
	}
	var err error
	if b.StartAfter != "" {
		if in.StartAfter, err = rfc3339("start_after", b.StartAfter); err != nil {
			return in, "", err
		}
	}
	if b.StopAfter != "" {
		if in.StopAfter, err = rfc3339("stop_after", b.StopAfter); err != nil {
			return in, "", err
		}
	}
	if len(b.WaveDelay) > 0 && string(b.WaveDelay) != "null" {
		// "30s" or a number of seconds.
		text := string(b.WaveDelay)
		if b.WaveDelay[0] == '"' {
			if err := json.Unmarshal(b.WaveDelay, &text); err != nil {
				return in, "", badField("wave_delay", "not a JSON string")
			}
		}
		if in.WaveDelay, err = parseDurationField("wave_delay", text, maxWaveDelay); err != nil {
			return in, "", err
		}
	}
	switch b.Method {
	case "", models.DeliveryPull, models.DeliveryPush:
	default:
		return in, "", badField("method", "%q is neither pull nor push (or empty: the device's choice, pull preferred)", b.Method)
	}
	for i, n := range b.Waves {
		if n < 1 {
			return in, "", badField(fmt.Sprintf("waves[%d]", i), "%d devices; a wave needs at least one", n)
		}
	}
	return in, profile, nil
}

func rfc3339(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badField(field, "%q is not an RFC 3339 time such as 2026-05-01T08:00:00Z", s)
	}
	return t.UTC(), nil
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.AuthorizeFleet(who(r), "running firmware campaigns"); err != nil {
		return err
	}
	var body campaignBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	in, profile, err := body.input()
	if err != nil {
		return err
	}
	if profile != "" {
		p, err := s.svc.GetProfile(r.Context(), who(r), profile)
		if errors.Is(err, dm.ErrNotFound) {
			return badField("selection.profile", "no profile %q", profile)
		}
		if err != nil {
			return err
		}
		in.Selection.ProfileID = p.ID
	}
	v, err := s.svc.CreateCampaign(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/campaigns/"+strconv.FormatInt(v.ID, 10))
	return writeJSON(w, http.StatusCreated, toCampaignDTO(v))
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, s.svc.ListCampaigns, toCampaignDTO)
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	return s.campaignVerb(w, r, s.svc.GetCampaign)
}

func (s *Server) startCampaign(w http.ResponseWriter, r *http.Request) error {
	return s.campaignVerb(w, r, s.svc.StartCampaign)
}

func (s *Server) pauseCampaign(w http.ResponseWriter, r *http.Request) error {
	return s.campaignVerb(w, r, s.svc.PauseCampaign)
}

func (s *Server) resumeCampaign(w http.ResponseWriter, r *http.Request) error {
	return s.campaignVerb(w, r, s.svc.ResumeCampaign)
}

func (s *Server) cancelCampaign(w http.ResponseWriter, r *http.Request) error {
	return s.campaignVerb(w, r, s.svc.CancelCampaign)
}

// campaignVerb runs a use case on the campaign {id} and answers its view.
func (s *Server) campaignVerb(w http.ResponseWriter, r *http.Request,
	fn func(ctx context.Context, who dm.Principal, id int64) (dm.CampaignView, error)) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	v, err := fn(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCampaignDTO(v))
}

func (s *Server) deleteCampaign(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.svc.DeleteCampaign)
}

// listCampaignDevices lists a campaign's devices, ?state= filtering
// (repeatable or comma-separated).
func (s *Server) listCampaignDevices(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	states, err := stateFilter(q, campaignDeviceStates, "one of "+stateNames())
	if err != nil {
		return err
	}
	pg, err := s.svc.CampaignDevices(r.Context(), who(r), id, states, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(pg, func(d models.CampaignDevice) campaignDeviceDTO { return d }))
}

func stateNames() string {
	names := make([]string, len(campaignDeviceStates))
	for i, s := range campaignDeviceStates {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// deviceFirmware lists a device's firmware jobs, newest campaign first.
func (s *Server) deviceFirmware(w http.ResponseWriter, r *http.Request) error {
	jobs, err := s.svc.DeviceFirmwareOf(r.Context(), who(r), endpointVar(r))
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []models.CampaignDevice{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": jobs})
}
