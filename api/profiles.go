package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// profileDTO is a profile as the API shows and takes it. Paths are
// strings, durations Go duration text ("30s"), the format a short name.
type profileDTO struct {
	ID          int64          `json:"id,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Spec        profileSpecDTO `json:"spec"`
	CreatedAt   *time.Time     `json:"created_at,omitempty"`
	UpdatedAt   *time.Time     `json:"updated_at,omitempty"`
}

type profileSpecDTO struct {
	Observe        *observeDTO        `json:"observe,omitempty"`
	Telemetry      []mappingDTO       `json:"telemetry,omitempty"`
	Attributes     []mappingDTO       `json:"attributes,omitempty"`
	Format         string             `json:"format,omitempty"`
	AwakeWindow    string             `json:"awake_window,omitempty"`
	Retry          *retryDTO          `json:"retry,omitempty"`
	CommandExpiry  string             `json:"command_expiry,omitempty"`
	TargetFirmware *firmwareTargetDTO `json:"target_firmware,omitempty"`
}

type observeDTO struct {
	Strategy string             `json:"strategy,omitempty"`
	Targets  []observeTargetDTO `json:"targets,omitempty"`
}

type observeTargetDTO struct {
	Path       string          `json:"path"`
	Attributes json.RawMessage `json:"attributes,omitempty"`
}

type mappingDTO struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

type retryDTO struct {
	MaxAttempts int     `json:"max_attempts,omitempty"`
	Backoff     string  `json:"backoff,omitempty"`
	Multiplier  float64 `json:"multiplier,omitempty"`
	MaxBackoff  string  `json:"max_backoff,omitempty"`
}

type firmwareTargetDTO struct {
	Version string `json:"version"`
	ImageID int64  `json:"image_id,omitempty"`
}

func durText(d models.Duration) string {
	if d == 0 {
		return ""
	}
	return d.D().String()
}

func toProfileDTO(p models.Profile) profileDTO {
	sp := p.Spec
	out := profileDTO{ID: p.ID, Name: p.Name, Description: p.Description, CreatedAt: timePtr(p.CreatedAt),
		UpdatedAt: timePtr(p.UpdatedAt)}
	ds := &out.Spec
	if sp.Observe.Strategy != "" || len(sp.Observe.Targets) > 0 {
		ds.Observe = &observeDTO{Strategy: string(sp.Observe.Strategy)}
		for _, t := range sp.Observe.Targets {
			td := observeTargetDTO{Path: t.Path.String()}
			if !t.Attributes.IsZero() {
				td.Attributes, _ = json.Marshal(t.Attributes)
			}
			ds.Observe.Targets = append(ds.Observe.Targets, td)
		}
	}
	for _, m := range sp.Telemetry {
		ds.Telemetry = append(ds.Telemetry, mappingDTO{Path: m.Path.String(), Name: m.Name})
	}
	for _, m := range sp.Attributes {
		ds.Attributes = append(ds.Attributes, mappingDTO{Path: m.Path.String(), Name: m.Name})
	}
	if sp.Format != nil {
		ds.Format = sp.Format.String()
	}
	ds.AwakeWindow, ds.CommandExpiry = durText(sp.AwakeWindow), durText(sp.CommandExpiry)
	if sp.Retry != (models.RetryPolicy{}) {
		ds.Retry = &retryDTO{MaxAttempts: sp.Retry.MaxAttempts, Backoff: durText(sp.Retry.Backoff),
			Multiplier: sp.Retry.Multiplier, MaxBackoff: durText(sp.Retry.MaxBackoff)}
	}
	if t := sp.TargetFirmware; t != nil {
		ds.TargetFirmware = &firmwareTargetDTO{Version: t.Version, ImageID: t.ImageID}
	}
	return out
}

// model checks the shape of a profile body and converts it; dm validates
// the meaning (paths against the models, attribute consistency).
func (d *profileDTO) model() (models.Profile, error) {
	p := models.Profile{Name: strings.TrimSpace(d.Name), Description: d.Description}
	if p.Name == "" {
		return p, badField("name", "is required")
	}
	if _, err := strconv.ParseInt(p.Name, 10, 64); err == nil {
		return p, badField("name", "must not be a number (numbers refer to profile ids)")
	}
	sp, ds := &p.Spec, &d.Spec
	if o := ds.Observe; o != nil {
		switch st := models.ObserveStrategy(o.Strategy); st {
		case "", models.ObserveSingle, models.ObserveCompositeAll, models.ObserveCompositePerObject:
			sp.Observe.Strategy = st
		default:
			return p, badField("spec.observe.strategy", "%q is not single, composite-all or composite-per-object", o.Strategy)
		}
		for i, t := range o.Targets {
			f := fmt.Sprintf("spec.observe.targets[%d]", i)
			path, err := parsePathField(f+".path", t.Path)
			if err != nil {
				return p, err
			}
			ot := models.ObserveTarget{Path: path}
			if a := bytes.TrimSpace(t.Attributes); len(a) > 0 && string(a) != "{}" && string(a) != "null" {
				if ot.Attributes, err = parseAttributesJSON(f+".attributes", a); err != nil {
					return p, err
				}
			}
			sp.Observe.Targets = append(sp.Observe.Targets, ot)
		}
	}
	var err error
	if sp.Telemetry, err = mappings("spec.telemetry", ds.Telemetry); err != nil {
		return p, err
	}
	if sp.Attributes, err = mappings("spec.attributes", ds.Attributes); err != nil {
		return p, err
	}
	if ds.Format != "" {
		f, err := lwm2m.ParseContentFormat(ds.Format)
		if err != nil {
			return p, badField("spec.format", "%v", err)
		}
		sp.Format = &f
	}
	dur := func(field, s string) (models.Duration, error) {
		d, err := parseDurationOpt(field, s, 0)
		return models.Duration(d), err
	}
	if sp.AwakeWindow, err = dur("spec.awake_window", ds.AwakeWindow); err != nil {
		return p, err
	}
	if sp.CommandExpiry, err = dur("spec.command_expiry", ds.CommandExpiry); err != nil {
		return p, err
	}
	if r := ds.Retry; r != nil {
		if r.MaxAttempts < 0 {
			return p, badField("spec.retry.max_attempts", "must not be negative")
		}
		if r.Multiplier < 0 || r.Multiplier != r.Multiplier {
			return p, badField("spec.retry.multiplier", "must be a non-negative number")
		}
		sp.Retry = models.RetryPolicy{MaxAttempts: r.MaxAttempts, Multiplier: r.Multiplier}
		if sp.Retry.Backoff, err = dur("spec.retry.backoff", r.Backoff); err != nil {
			return p, err
		}
		if sp.Retry.MaxBackoff, err = dur("spec.retry.max_backoff", r.MaxBackoff); err != nil {
			return p, err
		}
	}
	if t := ds.TargetFirmware; t != nil {
		if t.Version == "" {
			return p, badField("spec.target_firmware.version", "is required")
		}
		sp.TargetFirmware = &models.FirmwareTarget{Version: t.Version, ImageID: t.ImageID}
	}
	return p, nil
}

// mappings converts path → name mappings; paths must name resources.
func mappings(field string, in []mappingDTO) ([]models.PathMapping, error) {
	var out []models.PathMapping
	for i, m := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		p, err := parsePathField(f+".path", m.Path)
		if err != nil {
			return nil, err
		}
		if p.Len() < 3 {
			return nil, badPathField(f+".path", m.Path, "a mapping names a resource or resource-instance path")
		}
		if strings.TrimSpace(m.Name) == "" {
			return nil, badField(f+".name", "is required")
		}
		out = append(out, models.PathMapping{Path: p, Name: m.Name})
	}
	return out, nil
}

func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, s.svc.ListProfiles, toProfileDTO)
}

func (s *Server) readProfile(w http.ResponseWriter, r *http.Request) (models.Profile, error) {
	var body profileDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return models.Profile{}, err
	}
	return body.model()
}

func (s *Server) createProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.readProfile(w, r)
	if err != nil {
		return err
	}
	if p, err = s.svc.CreateProfile(r.Context(), who(r), p); err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/profiles/"+strconv.FormatInt(p.ID, 10))
	return writeJSON(w, http.StatusCreated, toProfileDTO(p))
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.svc.GetProfile(r.Context(), who(r), mux.Vars(r)["profile"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toProfileDTO(p))
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.readProfile(w, r)
	if err != nil {
		return err
	}
	if p, err = s.svc.UpdateProfile(r.Context(), who(r), mux.Vars(r)["profile"], p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toProfileDTO(p))
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteProfile(r.Context(), who(r), mux.Vars(r)["profile"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
