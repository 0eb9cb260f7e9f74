package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	f, err := s.deviceFilter(r, q)
	if err != nil {
		return err
	}
	page, err := s.svc.ListDevices(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toDeviceDTO))
}

// deviceFilter reads ?status=, ?label=k=v, ?profile=, ?customer=,
// ?asset=, ?endpoint=, ?id= and ?search=.
func (s *Server) deviceFilter(r *http.Request, q url.Values) (dm.DeviceFilter, error) {
	f := dm.DeviceFilter{Endpoints: queryList(q, "endpoint"), Search: q.Get("search")}
	for _, st := range queryList(q, "status") {
		switch models.DeviceStatus(st) {
		case models.StatusOnline, models.StatusAsleep, models.StatusOffline, models.StatusNever:
			f.Statuses = append(f.Statuses, models.DeviceStatus(st))
		default:
			return f, badField("status", "%q is not online, asleep, offline or never", st)
		}
	}
	for _, id := range queryList(q, "id") {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return f, badField("id", "%q is not a device id", id)
		}
		f.IDs = append(f.IDs, n)
	}
	var err error
	if f.Labels, err = labelQuery(q["label"]); err != nil {
		return f, err
	}
	if p := q.Get("profile"); p != "" {
		prof, err := s.svc.GetProfile(r.Context(), who(r), p)
		if errors.Is(err, dm.ErrNotFound) {
			return f, badField("profile", "no profile %q", p)
		}
		if err != nil {
			return f, err
		}
		f.ProfileID = prof.ID
	}
	if f.AssetID, err = queryID(q, "asset"); err != nil {
		return f, err
	}
	if c := q.Get("customer"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			return f, badField("customer", "%q is not a customer id", c)
		}
		f.CustomerID = n
	}
	return f, nil
}

// labelQuery parses repeated label=name=value parameters.
func labelQuery(vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(vals))
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, badField("label", "%q is not name=value", v)
		}
		out[k] = val
	}
	return out, nil
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request) error {
	var body deviceCreateDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	in, err := body.input("")
	if err != nil {
		return err
	}
	cd, err := s.svc.CreateDevice(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/devices/"+url.PathEscape(cd.Device.Endpoint))
	return writeJSON(w, http.StatusCreated, createdDeviceDTO{
		Device: toDeviceDTO(cd.Device), Credential: toCredentialDTO(cd.Credential), PSKKey: cd.PSKKeyHex,
	})
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.GetDevice(r.Context(), who(r), endpointVar(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeviceDTO(d))
}

func (s *Server) updateDevice(w http.ResponseWriter, r *http.Request) error {
	var body devicePatchDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	patch, err := body.patch()
	if err != nil {
		return err
	}
	d, err := s.svc.UpdateDevice(r.Context(), who(r), endpointVar(r), patch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeviceDTO(d))
}

func (s *Server) deleteDevice(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteDevice(r.Context(), who(r), endpointVar(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
