package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// commandBodyDTO is any LwM2M operation as a JSON body: what POST
// /devices/{endpoint}/commands and POST /commands take. The members a
// given op uses are those of its route: value/content for writes and
// creates (instance_id names the new instance), args for execute,
// attributes for write-attributes, paths for composite reads and
// observes, values/records for a composite write.
type commandBodyDTO struct {
	Op          string          `json:"op"`
	Path        string          `json:"path,omitempty"`
	Paths       []string        `json:"paths,omitempty"`
	Format      string          `json:"format,omitempty"`
	Value       json.RawMessage `json:"value,omitempty"`
	Content     json.RawMessage `json:"content,omitempty"`
	InstanceID  *uint16         `json:"instance_id,omitempty"`
	Values      json.RawMessage `json:"values,omitempty"`
	Records     json.RawMessage `json:"records,omitempty"`
	Attributes  json.RawMessage `json:"attributes,omitempty"`
	Args        string          `json:"args,omitempty"`
	Timeout     string          `json:"timeout,omitempty"`
	Wait        string          `json:"wait,omitempty"`
	Queue       *bool           `json:"queue,omitempty"`
	Expiry      string          `json:"expiry,omitempty"`
	MaxAttempts int             `json:"max_attempts,omitempty"`
}

// request converts the body into a validated request and options.
func (s *Server) commandRequest(b *commandBodyDTO) (lwm2m.Request, dm.CommandOptions, error) {
	var o dm.CommandOptions
	req := lwm2m.Request{Format: lwm2m.FormatNone}
	var err error
	if b.Op == "" {
		return req, o, badField("op", "is required (read, write, write-update, execute, create, delete, discover, write-attributes, observe, cancel-observe, read-composite, write-composite, observe-composite, cancel-observe-composite)")
	}
	if req.Op, err = lwm2m.ParseOperation(b.Op); err != nil {
		return req, o, badField("op", "%v", err)
	}
	if b.Format != "" {
		if req.Format, err = lwm2m.ParseContentFormat(b.Format); err != nil {
			return req, o, badField("format", "%v", err)
		}
	}
	if req.Timeout, err = parseDurationOpt("timeout", b.Timeout, s.cfg.MaxTimeout); err != nil {
		return req, o, err
	}
	if o.Wait, err = parseDurationOpt("wait", b.Wait, s.cfg.MaxWait); err != nil {
		return req, o, err
	}
	if o.Expiry, err = parseDurationOpt("expiry", b.Expiry, 0); err != nil {
		return req, o, err
	}
	if b.MaxAttempts < 0 || b.MaxAttempts > 1000 {
		return req, o, badField("max_attempts", "must be 0..1000")
	}
	o.MaxAttempts = b.MaxAttempts
	if b.Queue != nil {
		o.Queue, o.NoQueue = *b.Queue, !*b.Queue
	}
	if req.Op.IsComposite() {
		if b.Path != "" {
			return req, o, badField("path", "a composite operation takes paths (or values/records), not path")
		}
	} else if req.Path, err = parsePathField("path", b.Path); err != nil {
		return req, o, err
	}
	if err := s.fillCommand(&req, b); err != nil {
		return req, o, err
	}
	if err := req.Validate(); err != nil {
		return req, o, requestError(req, err)
	}
	return req, o, nil
}

func parseDurationOpt(field, s string, max time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return parseDurationField(field, s, max)
}

// fillCommand sets the op-specific members of req from b.
func (s *Server) fillCommand(req *lwm2m.Request, b *commandBodyDTO) error {
	switch req.Op {
	case lwm2m.OpWrite, lwm2m.OpWriteUpdate, lwm2m.OpCreate:
		var body []byte
		switch {
		case b.Content != nil && b.Value != nil:
			return badField("value", "give value or content, not both")
		case b.Content != nil:
			body = b.Content
		case b.Value != nil:
			body = wrapValue(b.Value, b.InstanceID)
		default:
			return badField("value", "a %s needs a value (or a typed content node)", req.Op)
		}
		if req.Op == lwm2m.OpCreate {
			if !req.Path.IsObject() {
				return badPathField("path", req.Path.String(), "a create names an object (/o)")
			}
			n, hasID, err := s.vp.createContent(req.Path, body)
			if err != nil {
				return err
			}
			req.Content, req.NoInstanceID = &n, !hasID
			return nil
		}
		if b.InstanceID != nil {
			return badField("instance_id", "only a create names an instance id")
		}
		if req.Path.Len() < 2 {
			return badPathField("path", req.Path.String(), "a write needs an instance, resource or resource-instance path")
		}
		n, err := s.vp.content(req.Path, body)
		if err != nil {
			return err
		}
		req.Content = &n
	case lwm2m.OpExecute:
		if err := checkExecArgs(b.Args); err != nil {
			return err
		}
		req.Args = b.Args
	case lwm2m.OpWriteAttributes:
		if b.Attributes == nil {
			return badField("attributes", "write-attributes needs attributes")
		}
		a, err := parseAttributesJSON("attributes", b.Attributes)
		if err != nil {
			return err
		}
		req.Attributes = a
	case lwm2m.OpReadComposite, lwm2m.OpObserveComposite, lwm2m.OpCancelObserveComposite:
		ps, err := pathsFromStrings("paths", b.Paths)
		if err != nil {
			return err
		}
		req.Paths = ps
	case lwm2m.OpWriteComposite:
		var body bytes.Buffer
		switch {
		case b.Values != nil && b.Records == nil:
			body.WriteString(`{"values":`)
			body.Write(b.Values)
		case b.Records != nil && b.Values == nil:
			body.WriteString(`{"records":`)
			body.Write(b.Records)
		default:
			return badField("values", "write-composite needs values or records (one of them)")
		}
		body.WriteByte('}')
		recs, err := s.vp.records(body.Bytes())
		if err != nil {
			return err
		}
		req.Records = recs
	}
	return nil
}

// wrapValue makes {"value": v[, "id": id]} so field names in errors read
// "value.…" and a create's id travels with it.
func wrapValue(v json.RawMessage, id *uint16) []byte {
	var b bytes.Buffer
	b.WriteString(`{"value":`)
	b.Write(v)
	if id != nil {
		b.WriteString(`,"id":`)
		b.WriteString(strconv.Itoa(int(*id)))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func (s *Server) sendCommand(w http.ResponseWriter, r *http.Request) error {
	var body commandBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	req, o, err := s.commandRequest(&body)
	if err != nil {
		return err
	}
	ep := endpointVar(r)
	res, err := s.svc.Execute(r.Context(), who(r), ep, req, o)
	if err != nil {
		return err
	}
	return renderResult(w, ep, req, res)
}

// selectionDTO picks devices for a command.
type selectionDTO struct {
	IDs       []int64           `json:"ids,omitempty"`
	Endpoints []string          `json:"endpoints,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Profile   ref               `json:"profile,omitempty"`
	Customer  int64             `json:"customer,omitempty"`
	Asset     int64             `json:"asset,omitempty"`
}

// selectionCommandDTO is the body of POST /commands.
type selectionCommandDTO struct {
	Selection *selectionDTO `json:"selection"`
	commandBodyDTO
}

func (s *Server) sendSelectionCommand(w http.ResponseWriter, r *http.Request) error {
	var body selectionCommandDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	sel := body.Selection
	if sel == nil || len(sel.IDs) == 0 && len(sel.Endpoints) == 0 && len(sel.Labels) == 0 &&
		sel.Profile == "" && sel.Customer == 0 && sel.Asset == 0 {
		return badField("selection", "selects nothing: name ids, endpoints, labels, a profile, a customer or an asset")
	}
	ms := models.DeviceSelection{IDs: sel.IDs, Endpoints: sel.Endpoints, Labels: sel.Labels,
		CustomerID: sel.Customer, AssetID: sel.Asset}
	if sel.Profile != "" {
		p, err := s.svc.GetProfile(r.Context(), who(r), string(sel.Profile))
		if errors.Is(err, dm.ErrNotFound) {
			return badField("selection.profile", "no profile %q", sel.Profile)
		}
		if err != nil {
			return err
		}
		ms.ProfileID = p.ID
	}
	req, o, err := s.commandRequest(&body.commandBodyDTO)
	if err != nil {
		return err
	}
	results, err := s.svc.ExecuteSelection(r.Context(), who(r), ms, req, o)
	if err != nil {
		return err
	}
	out := pageDTO[commandDTO]{Items: make([]commandDTO, len(results)), Total: int64(len(results))}
	for i, res := range results {
		out.Items[i] = toCommandDTO(res.Command)
	}
	return writeJSON(w, http.StatusAccepted, out)
}

func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) error {
	return s.commandList(w, r, r.URL.Query().Get("device"))
}

func (s *Server) listDeviceCommands(w http.ResponseWriter, r *http.Request) error {
	return s.commandList(w, r, endpointVar(r))
}

// commandList lists commands, of one device when ep is set, filtered by
// ?state=.
func (s *Server) commandList(w http.ResponseWriter, r *http.Request, ep string) error {
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	var f dm.CommandFilter
	for _, st := range queryList(q, "state") {
		switch cs := models.CommandState(st); cs {
		case models.CommandPending, models.CommandSent, models.CommandSucceeded, models.CommandFailed,
			models.CommandExpired, models.CommandCancelled:
			f.States = append(f.States, cs)
		default:
			return badField("state", "%q is not pending, sent, succeeded, failed, expired or cancelled", st)
		}
	}
	if ep != "" {
		d, err := s.svc.GetDevice(r.Context(), who(r), ep)
		if err != nil {
			return err
		}
		f.DeviceID = d.ID
	}
	page, err := s.svc.ListCommands(r.Context(), who(r), f, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toCommandDTO))
}

func (s *Server) getCommand(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	c, err := s.svc.GetCommand(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCommandDTO(c))
}

func (s *Server) cancelCommand(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	c, err := s.svc.CancelCommand(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCommandDTO(c))
}
