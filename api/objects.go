package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
)

// The object-model routes show what the server knows about LwM2M objects
// (the standard registry plus any vendor DDF files): names, versions and
// each resource's type, operations, multiplicity and units. The console
// builds a device's object tree from them.

// modelLister is what GET /objects needs beyond lwm2m.ModelProvider: every
// model, sorted by id and then version ascending (objects.Registry has it).
type modelLister interface {
	Objects() []*lwm2m.ObjectModel
}

// objectSummaryDTO is one object in the list: its newest known version
// and every version the server knows.
type objectSummaryDTO struct {
	ID        uint16   `json:"id"`
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Versions  []string `json:"versions"`
	Multiple  bool     `json:"multiple"`
	Mandatory bool     `json:"mandatory"`
	Resources int      `json:"resources"`
}

// objectDTO is one object model at one version.
type objectDTO struct {
	ID           uint16        `json:"id"`
	Name         string        `json:"name"`
	URN          string        `json:"urn,omitempty"`
	Version      string        `json:"version"`
	LwM2MVersion string        `json:"lwm2m_version,omitempty"`
	Multiple     bool          `json:"multiple"`
	Mandatory    bool          `json:"mandatory"`
	Resources    []resourceDTO `json:"resources"`
}

type resourceDTO struct {
	ID         uint16 `json:"id"`
	Name       string `json:"name"`
	Operations string `json:"operations"` // "R", "W", "RW", "E" or ""
	Multiple   bool   `json:"multiple"`
	Mandatory  bool   `json:"mandatory"`
	Type       string `json:"type"`
	Range      string `json:"range,omitempty"`
	Units      string `json:"units,omitempty"`
}

func toObjectDTO(m *lwm2m.ObjectModel) objectDTO {
	o := objectDTO{ID: m.ID, Name: m.Name, URN: m.URN, Version: m.Version, LwM2MVersion: m.LwM2MVersion,
		Multiple: m.Multiple, Mandatory: m.Mandatory, Resources: make([]resourceDTO, len(m.Resources))}
	for i, r := range m.Resources {
		o.Resources[i] = resourceDTO{ID: r.ID, Name: r.Name, Operations: r.Operations.String(), Multiple: r.Multiple,
			Mandatory: r.Mandatory, Type: r.Type.String(), Range: r.Range, Units: r.Units}
	}
	return o
}

// listObjects is GET /objects: every known object, by id.
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request) error {
	out := pageDTO[objectSummaryDTO]{Items: []objectSummaryDTO{}}
	if ml, ok := s.cfg.Models.(modelLister); ok {
		// Objects come sorted by id, then version ascending: the last
		// model of an id is its newest.
		for _, m := range ml.Objects() {
			n := len(out.Items)
			if n == 0 || out.Items[n-1].ID != m.ID {
				out.Items = append(out.Items, objectSummaryDTO{ID: m.ID})
				n++
			}
			o := &out.Items[n-1]
			o.Versions = append(o.Versions, m.Version)
			o.Name, o.Version, o.Multiple, o.Mandatory, o.Resources = m.Name, m.Version, m.Multiple, m.Mandatory, len(m.Resources)
		}
	}
	out.Total = int64(len(out.Items))
	return writeJSON(w, http.StatusOK, out)
}

// getObject is GET /objects/{id}[?version=]: the model at that version,
// or at the newest without one (the registry's nearest match, as for a
// device that announces a version).
func (s *Server) getObject(w http.ResponseWriter, r *http.Request) error {
	raw := mux.Vars(r)["id"]
	id, err := strconv.ParseUint(raw, 10, 16)
	if err != nil || id > lwm2m.MaxID {
		return badField("id", "%q is not an object id (0..%d)", raw, lwm2m.MaxID)
	}
	ver := r.URL.Query().Get("version")
	m, ok := s.cfg.Models.Object(uint16(id), ver)
	if !ok {
		return fmt.Errorf("%w: no model of object %d", dm.ErrNotFound, id)
	}
	return writeJSON(w, http.StatusOK, toObjectDTO(m))
}
