package api

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// errNoProvisioning answers the bootstrap routes of a server built without
// provisioning.
var errNoProvisioning = &httpError{http.StatusNotFound, typeNoRoute, "bootstrap and credential provisioning are not enabled on this server"}

// prov returns the provisioning use cases. Routes for the fleet's
// operators refuse other roles first, so a customer token is told 403
// whether or not provisioning is enabled.
func (s *Server) prov(r *http.Request, fleetOnly bool) (*dm.Provisioning, error) {
	if p := who(r); fleetOnly && p.Role != models.RoleAdmin && p.Role != models.RoleOperator {
		return nil, fmt.Errorf("%w: bootstrap and credential management needs the admin or operator role", dm.ErrForbidden)
	}
	if s.cfg.Provisioning == nil {
		return nil, errNoProvisioning
	}
	return s.cfg.Provisioning, nil
}

func (s *Server) listBootstrapConfigs(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	return listPage(w, r, p.ListBootstrapConfigs, toBootstrapConfigDTO)
}

func (s *Server) configBody(w http.ResponseWriter, r *http.Request) (dm.BootstrapConfigInput, error) {
	var body bootstrapConfigBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return dm.BootstrapConfigInput{}, err
	}
	return body.input()
}

// parseBootstrapConfigBody decodes a configuration body (the tests' and
// fuzzer's way in).
func parseBootstrapConfigBody(b []byte) (dm.BootstrapConfigInput, error) {
	var body bootstrapConfigBodyDTO
	if err := decodeJSON(bytes.NewReader(b), &body); err != nil {
		return dm.BootstrapConfigInput{}, err
	}
	return body.input()
}

func (s *Server) createBootstrapConfig(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	in, err := s.configBody(w, r)
	if err != nil {
		return err
	}
	c, err := p.CreateBootstrapConfig(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/bootstrap/configs/"+strconv.FormatInt(c.ID, 10))
	return writeJSON(w, http.StatusCreated, toBootstrapConfigDTO(c))
}

func (s *Server) listBootstrapAccounts(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	return listPage(w, r, p.ListBootstrapAccounts, toBootstrapAccountDTO)
}

func (s *Server) accountBody(w http.ResponseWriter, r *http.Request) (dm.BootstrapAccountInput, error) {
	var body bootstrapAccountBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return dm.BootstrapAccountInput{}, err
	}
	return dm.BootstrapAccountInput{Name: body.Name, Profile: string(body.Profile), Customer: string(body.Customer),
		AutoProvision: body.AutoProvision}, nil
}

func (s *Server) createBootstrapAccount(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	in, err := s.accountBody(w, r)
	if err != nil {
		return err
	}
	a, err := p.CreateBootstrapAccount(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/bootstrap/accounts/"+strconv.FormatInt(a.ID, 10))
	return writeJSON(w, http.StatusCreated, toBootstrapAccountDTO(a))
}

func (s *Server) listFactoryCredentials(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	var f dm.FactoryFilter
	if f.AccountID, err = queryID(q, "account"); err != nil {
		return err
	}
	if f.DeviceID, err = queryID(q, "device"); err != nil {
		return err
	}
	pg, err := p.ListFactoryCredentials(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(pg, toFactoryDTO))
}

func (s *Server) createFactoryCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	var body factoryBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	fc, key, err := p.CreateFactoryCredential(r.Context(), who(r), dm.FactoryInput{Device: body.Device, Account: string(body.Account),
		Mode: body.Mode, PSKIdentity: body.PSKIdentity, PSKKeyHex: body.PSKKey, CertificatePEM: body.Certificate})
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/bootstrap/factory-credentials/"+strconv.FormatInt(fc.ID, 10))
	return writeJSON(w, http.StatusCreated, createdFactoryDTO{Credential: toFactoryDTO(fc), PSKKey: key})
}

func (s *Server) revokeFactoryCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	fc, err := p.RevokeFactoryCredential(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFactoryDTO(fc))
}

func (s *Server) listBootstrapSessions(w http.ResponseWriter, r *http.Request) error {
	return s.sessionList(w, r, r.URL.Query().Get("device"))
}

func (s *Server) listDeviceBootstrapSessions(w http.ResponseWriter, r *http.Request) error {
	return s.sessionList(w, r, endpointVar(r))
}

var sessionStates = []models.BootstrapSessionState{models.SessionRunning, models.SessionFinished, models.SessionFailed}

func (s *Server) sessionList(w http.ResponseWriter, r *http.Request, endpoint string) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	states, err := stateFilter(q, sessionStates, "running, finished or failed")
	if err != nil {
		return err
	}
	pg, err := p.BootstrapSessions(r.Context(), who(r), endpoint, states, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(pg, func(x models.BootstrapSession) models.BootstrapSession { return x }))
}

func (s *Server) triggerBootstrap(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	ep := endpointVar(r)
	res, err := p.TriggerBootstrap(r.Context(), who(r), ep)
	if err != nil {
		return err
	}
	return renderResult(w, ep, res.Command.Request, res)
}

// bootstrapSelectionDTO is the body of POST /bootstrap/trigger.
type bootstrapSelectionDTO struct {
	Selection *selectionDTO `json:"selection"`
}

func (s *Server) triggerBootstrapSelection(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	var body bootstrapSelectionDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	sel := body.Selection
	if sel == nil {
		return badField("selection", "is required")
	}
	ms := models.DeviceSelection{IDs: sel.IDs, Endpoints: sel.Endpoints, Labels: sel.Labels, CustomerID: sel.Customer, AssetID: sel.Asset}
	if sel.Profile != "" {
		pr, err := s.svc.GetProfile(r.Context(), who(r), string(sel.Profile))
		if err != nil {
			return badField("selection.profile", "%v", err)
		}
		ms.ProfileID = pr.ID
	}
	results, err := p.TriggerBootstrapSelection(r.Context(), who(r), ms)
	if err != nil {
		return err
	}
	out := pageDTO[commandDTO]{Items: make([]commandDTO, len(results)), Total: int64(len(results))}
	for i, res := range results {
		out.Items[i] = toCommandDTO(res.Command)
	}
	return writeJSON(w, http.StatusAccepted, out)
}

func (s *Server) unbindDevice(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	if err := p.Unbind(r.Context(), who(r), endpointVar(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, false)
	if err != nil {
		return err
	}
	cs, err := p.Credentials(r.Context(), who(r), endpointVar(r))
	if err != nil {
		return err
	}
	out := pageDTO[credentialDetailDTO]{Items: make([]credentialDetailDTO, len(cs)), Total: int64(len(cs))}
	for i, c := range cs {
		out.Items[i] = toCredentialDetailDTO(c)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) rotateCredentials(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	res, err := p.Rotate(r.Context(), who(r), endpointVar(r))
	if err != nil {
		return err
	}
	out := rotationDTO{Credential: toCredentialDTO(res.Credential), Queued: res.Trigger.Queued}
	status := http.StatusOK
	if res.Trigger.Command.ID != 0 {
		c := toCommandDTO(res.Trigger.Command)
		out.Command = &c
	}
	if res.Trigger.Queued {
		status = http.StatusAccepted
	}
	return writeJSON(w, status, out)
}

func (s *Server) revokeCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	c, err := p.Revoke(r.Context(), who(r), endpointVar(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCredentialDTO(c))
}

// caCertificate serves Shoal's CA certificate: PEM, or DER with
// ?format=der.
func (s *Server) caCertificate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.prov(r, false)
	if err != nil {
		return err
	}
	c, err := p.CACertificate()
	if err != nil {
		return err
	}
	switch f := r.URL.Query().Get("format"); f {
	case "", "pem":
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	case "der":
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(c.Raw)
	default:
		return badField("format", "%q is not pem or der", f)
	}
	return err
}

// caInitDTO is the body of POST /ca.
type caInitDTO struct {
	CommonName   string          `json:"cn,omitempty"`
	Organization string          `json:"org,omitempty"`
	Validity     models.Duration `json:"validity,omitempty"`
}

// caDTO describes Shoal's CA certificate.
type caDTO struct {
	Subject     string    `json:"subject"`
	Fingerprint string    `json:"fingerprint"`
	NotAfter    time.Time `json:"not_after"`
	Certificate string    `json:"certificate"`
}

// initCA creates Shoal's CA in the server's data directory (admin).
func (s *Server) initCA(w http.ResponseWriter, r *http.Request) error {
	if who(r).Role != models.RoleAdmin {
		return fmt.Errorf("%w: creating the certificate authority needs the admin role", dm.ErrForbidden)
	}
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	var body caInitDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	c, err := p.InitCA(r.Context(), who(r), ca.InitOptions{CommonName: body.CommonName, Organization: body.Organization,
		Validity: body.Validity.D()})
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/ca/certificate")
	return writeJSON(w, http.StatusCreated, caDTO{Subject: c.Subject.CommonName, Fingerprint: ca.Fingerprint(c.Raw),
		NotAfter: c.NotAfter.UTC(), Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))})
}

// Configurations and accounts are records named by a route variable
// (an id or a name); their get, update and delete differ only in the
// dm call, the body and the DTO.

func (s *Server) getBootstrapConfig(w http.ResponseWriter, r *http.Request) error {
	return provGet(s, w, r, "config", (*dm.Provisioning).GetBootstrapConfig, toBootstrapConfigDTO)
}

func (s *Server) updateBootstrapConfig(w http.ResponseWriter, r *http.Request) error {
	return provUpdate(s, w, r, "config", s.configBody, (*dm.Provisioning).UpdateBootstrapConfig, toBootstrapConfigDTO)
}

func (s *Server) deleteBootstrapConfig(w http.ResponseWriter, r *http.Request) error {
	return provDelete(s, w, r, "config", (*dm.Provisioning).DeleteBootstrapConfig)
}

func (s *Server) getBootstrapAccount(w http.ResponseWriter, r *http.Request) error {
	return provGet(s, w, r, "account", (*dm.Provisioning).GetBootstrapAccount, toBootstrapAccountDTO)
}

func (s *Server) updateBootstrapAccount(w http.ResponseWriter, r *http.Request) error {
	return provUpdate(s, w, r, "account", s.accountBody, (*dm.Provisioning).UpdateBootstrapAccount, toBootstrapAccountDTO)
}

func (s *Server) deleteBootstrapAccount(w http.ResponseWriter, r *http.Request) error {
	return provDelete(s, w, r, "account", (*dm.Provisioning).DeleteBootstrapAccount)
}

// provGet answers the record the route variable v names.
func provGet[T, D any](s *Server, w http.ResponseWriter, r *http.Request, v string,
	get func(*dm.Provisioning, context.Context, dm.Principal, string) (T, error), dto func(T) D) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	x, err := get(p, r.Context(), who(r), refVar(r, v))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, dto(x))
}

// provUpdate replaces the record the route variable v names with the body.
func provUpdate[I, T, D any](s *Server, w http.ResponseWriter, r *http.Request, v string,
	body func(http.ResponseWriter, *http.Request) (I, error),
	update func(*dm.Provisioning, context.Context, dm.Principal, string, I) (T, error), dto func(T) D) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	in, err := body(w, r)
	if err != nil {
		return err
	}
	x, err := update(p, r.Context(), who(r), refVar(r, v), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, dto(x))
}

// provDelete deletes the record the route variable v names.
func provDelete(s *Server, w http.ResponseWriter, r *http.Request, v string,
	del func(*dm.Provisioning, context.Context, dm.Principal, string) error) error {
	p, err := s.prov(r, true)
	if err != nil {
		return err
	}
	if err := del(p, r.Context(), who(r), refVar(r, v)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
