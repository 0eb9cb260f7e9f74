package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// assetDTO is an asset.
type assetDTO struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type,omitempty"`
	CustomerID int64             `json:"customer_id,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

func toAssetDTO(a models.Asset) assetDTO {
	return assetDTO{ID: a.ID, Name: a.Name, Type: a.Type, CustomerID: a.CustomerID, Labels: a.Labels,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

// assetBodyDTO creates (name required) or patches an asset; customer is a
// customer id (0 or null: none).
type assetBodyDTO struct {
	Name     *string           `json:"name"`
	Type     *string           `json:"type"`
	Customer *int64            `json:"customer"`
	Labels   map[string]string `json:"labels"`
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	f := dm.AssetFilter{Type: q.Get("type")}
	if f.CustomerID, err = queryID(q, "customer"); err != nil {
		return err
	}
	if f.Labels, err = labelQuery(q["label"]); err != nil {
		return err
	}
	page, err := s.svc.ListAssets(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toAssetDTO))
}

func (s *Server) createAsset(w http.ResponseWriter, r *http.Request) error {
	var body assetBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	a := models.Asset{Labels: body.Labels}
	if body.Name != nil {
		a.Name = *body.Name
	}
	if body.Type != nil {
		a.Type = *body.Type
	}
	if body.Customer != nil {
		a.CustomerID = *body.Customer
	}
	a, err := s.svc.CreateAsset(r.Context(), who(r), a)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/assets/"+strconv.FormatInt(a.ID, 10))
	return writeJSON(w, http.StatusCreated, toAssetDTO(a))
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	a, err := s.svc.GetAsset(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAssetDTO(a))
}

func (s *Server) updateAsset(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	var body assetBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	a, err := s.svc.UpdateAsset(r.Context(), who(r), id, dm.AssetPatch{Name: body.Name, Type: body.Type, Customer: body.Customer, Labels: body.Labels})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAssetDTO(a))
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.svc.DeleteAsset)
}

// assetDevices is GET /assets/{id}/devices: the devices the asset
// contains, through the assets it contains, with the device filters.
func (s *Server) assetDevices(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	f, err := s.deviceFilter(r, q)
	if err != nil {
		return err
	}
	page, err := s.svc.DevicesUnder(r.Context(), who(r), id, f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toDeviceDTO))
}

func (s *Server) assetRelations(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	rs, err := s.svc.AssetRelations(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRelationsDTO(rs))
}

func (s *Server) deviceRelations(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.svc.DeviceRelations(r.Context(), who(r), endpointVar(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRelationsDTO(rs))
}

// entityDTO is one end of a relation.
type entityDTO struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// relationDTO is a typed relation From → To.
type relationDTO struct {
	From      entityDTO `json:"from"`
	To        entityDTO `json:"to"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

func toRelationDTO(v dm.RelationView) relationDTO {
	return relationDTO{From: entityDTO{string(v.From.Kind), v.From.ID, v.FromName}, To: entityDTO{string(v.To.Kind), v.To.ID, v.ToName},
		Type: v.Type, CreatedAt: v.CreatedAt.UTC()}
}

// relationsDTO is a list of relations.
type relationsDTO struct {
	Items []relationDTO `json:"items"`
}

func toRelationsDTO(rs []dm.RelationView) relationsDTO {
	out := relationsDTO{Items: make([]relationDTO, len(rs))}
	for i, v := range rs {
		out.Items[i] = toRelationDTO(v)
	}
	return out
}

// relationBodyDTO creates a relation: from and to are "asset:<id>" or
// "device:<endpoint>".
type relationBodyDTO struct {
	From string `json:"from"`
	To   string `json:"to"`
	Type string `json:"type"`
}

// maxEntityText bounds an entity reference ("device:" and an endpoint).
const maxEntityText = 512

// parseEntity reads "asset:<id>", "device:#<id>" or "device:<endpoint>";
// for an endpoint the ref's ID is 0 and the endpoint is returned.
func parseEntity(field, text string) (models.EntityRef, string, error) {
	if len(text) > maxEntityText {
		return models.EntityRef{}, "", badField(field, "%d bytes, at most %d", len(text), maxEntityText)
	}
	kind, v, ok := strings.Cut(text, ":")
	if !ok || v == "" {
		return models.EntityRef{}, "", badField(field, "%q is not asset:<id> or device:<endpoint>", text)
	}
	id := func(what, n string) (int64, error) {
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil || id <= 0 {
			return 0, badField(field, "%q is not %s id", n, what)
		}
		return id, nil
	}
	switch models.EntityKind(kind) {
	case models.EntityAsset:
		n, err := id("an asset", v)
		return models.EntityRef{Kind: models.EntityAsset, ID: n}, "", err
	case models.EntityDevice:
		if n, ok := strings.CutPrefix(v, "#"); ok {
			n, err := id("a device", n)
			return models.EntityRef{Kind: models.EntityDevice, ID: n}, "", err
		}
		return models.EntityRef{Kind: models.EntityDevice}, v, nil
	}
	return models.EntityRef{}, "", badField(field, "kind %q is not asset or device", kind)
}

// entityRef resolves an entity reference, a device's endpoint to its id.
func (s *Server) entityRef(r *http.Request, field, text string) (models.EntityRef, error) {
	ref, ep, err := parseEntity(field, text)
	if err != nil || ep == "" {
		return ref, err
	}
	d, err := s.svc.GetDevice(r.Context(), who(r), ep)
	if errors.Is(err, dm.ErrNotFound) {
		return models.EntityRef{}, badField(field, "no device %q", ep)
	}
	if err != nil {
		return models.EntityRef{}, err
	}
	return models.EntityRef{Kind: models.EntityDevice, ID: d.ID}, nil
}

func (s *Server) relation(r *http.Request, body relationBodyDTO) (models.Relation, error) {
	from, err := s.entityRef(r, "from", body.From)
	if err != nil {
		return models.Relation{}, err
	}
	to, err := s.entityRef(r, "to", body.To)
	if err != nil {
		return models.Relation{}, err
	}
	return models.Relation{From: from, To: to, Type: body.Type}, nil
}

func (s *Server) createRelation(w http.ResponseWriter, r *http.Request) error {
	var body relationBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	rel, err := s.relation(r, body)
	if err != nil {
		return err
	}
	v, err := s.svc.Relate(r.Context(), who(r), rel)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toRelationDTO(v))
}

// deleteRelation is DELETE /relations?from=…&to=…&type=….
func (s *Server) deleteRelation(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	body := relationBodyDTO{From: q.Get("from"), To: q.Get("to"), Type: q.Get("type")}
	if body.Type == "" {
		return badField("type", "is required")
	}
	rel, err := s.relation(r, body)
	if err != nil {
		return err
	}
	if err := s.svc.Unrelate(r.Context(), who(r), rel); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
