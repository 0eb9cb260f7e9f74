package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Composite operations address several paths of one device at once.
// Targets are ?path=/3/0/9&path=/1/0/1 (or comma-separated), or for
// Observe-Composite a body {"paths": […]}; Write-Composite takes
// {"values": {"/3/0/14": "+02", …}} (values shaped as for a Write of each
// path) or {"records": [{"path": …, "type": …, "value": …}]}.

// maxCompositePaths bounds the targets of one composite request.
const maxCompositePaths = 1024

func (s *Server) readComposite(w http.ResponseWriter, r *http.Request) error {
	return s.runComposite(w, r, lwm2m.OpReadComposite, false)
}

func (s *Server) observeComposite(w http.ResponseWriter, r *http.Request) error {
	return s.runComposite(w, r, lwm2m.OpObserveComposite, true)
}

func (s *Server) cancelObserveComposite(w http.ResponseWriter, r *http.Request) error {
	return s.runComposite(w, r, lwm2m.OpCancelObserveComposite, true)
}

// runComposite runs a composite operation on the paths of the query
// string or, when allowed, of a {"paths": […]} body.
func (s *Server) runComposite(w http.ResponseWriter, r *http.Request, op lwm2m.Operation, bodyPaths bool) error {
	q := r.URL.Query()
	o, req, err := s.opOptions(q)
	if err != nil {
		return err
	}
	req.Op = op
	raw := queryList(q, "path")
	if bodyPaths && len(raw) == 0 {
		body, err := readBody(w, r, s.cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := requireJSON(r); err != nil {
				return err
			}
			var b struct {
				Paths []string `json:"paths"`
			}
			if err := decodeJSON(bytes.NewReader(body), &b); err != nil {
				return err
			}
			raw = b.Paths
		}
	}
	if req.Paths, err = parsePathList("path", raw); err != nil {
		return err
	}
	return s.execute(w, r, endpointVar(r), req, o)
}

// parsePathList parses composite targets; at least one is required.
func parsePathList(field string, raw []string) ([]lwm2m.Path, error) {
	if len(raw) == 0 {
		return nil, badField(field, "name at least one path (?path=/3/0/9&path=/1/0/1)")
	}
	if len(raw) > maxCompositePaths {
		return nil, badField(field, "%d paths, at most %d", len(raw), maxCompositePaths)
	}
	out := make([]lwm2m.Path, 0, len(raw))
	for i, s := range raw {
		p, err := parsePathField(fmt.Sprintf("%s[%d]", field, i), s)
		if err != nil {
			return nil, err
		}
		if p.IsRoot() {
			return nil, badPathField(fmt.Sprintf("%s[%d]", field, i), s, "a composite target cannot be the root")
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Server) writeComposite(w http.ResponseWriter, r *http.Request) error {
	o, req, err := s.opOptions(r.URL.Query())
	if err != nil {
		return err
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	req.Op = lwm2m.OpWriteComposite
	if req.Records, err = s.vp.records(body); err != nil {
		return err
	}
	return s.execute(w, r, endpointVar(r), req, o)
}

// records parses a Write-Composite body into records with model types.
func (vp valueParser) records(body []byte) ([]lwm2m.Record, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		if !json.Valid(body) {
			var x any
			return nil, jsonFieldError(json.Unmarshal(body, &x))
		}
		return nil, badField("body", "expected {\"values\": {…}} or {\"records\": […]}")
	}
	switch {
	case m["records"] != nil:
		if len(m) != 1 {
			return nil, badField("body", "give either records or values, nothing else")
		}
		return vp.typedRecords(m["records"])
	case m["values"] != nil:
		if len(m) != 1 {
			return nil, badField("body", "give either records or values, nothing else")
		}
		var vals map[string]json.RawMessage
		if err := json.Unmarshal(m["values"], &vals); err != nil {
			return nil, badField("values", "expected an object keyed by path")
		}
		return vp.valueMap("values", vals)
	}
	return vp.valueMap("", m)
}

// valueMap parses {"/3/0/14": X, …}.
func (vp valueParser) valueMap(field string, m map[string]json.RawMessage) ([]lwm2m.Record, error) {
	if len(m) == 0 {
		return nil, badField(fieldOrBody(field), "no values to write")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []lwm2m.Record
	for _, k := range keys {
		f := joinField(field, k)
		p, err := parsePathField(f, k)
		if err != nil {
			return nil, err
		}
		switch p.Len() {
		case 3:
			n, err := vp.resource(f, p, m[k], nil)
			if err != nil {
				return nil, err
			}
			out = n.AppendRecords(out, p, time.Time{})
		case 4:
			v, err := vp.leaf(f, p, m[k], nil)
			if err != nil {
				return nil, err
			}
			out = append(out, lwm2m.Record{Path: p, Value: v})
		default:
			return nil, badPathField(f, k, "a composite write names resource or resource-instance paths")
		}
	}
	return out, nil
}

// typedRecords parses [{"path": …, "type": …, "value": …}].
func (vp valueParser) typedRecords(raw json.RawMessage) ([]lwm2m.Record, error) {
	var items []struct {
		Path  string          `json:"path"`
		Type  *string         `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, badField("records", "expected a list of {\"path\", \"type\", \"value\"}")
	}
	if len(items) == 0 {
		return nil, badField("records", "no values to write")
	}
	out := make([]lwm2m.Record, 0, len(items))
	for i, it := range items {
		f := fmt.Sprintf("records[%d]", i)
		p, err := parsePathField(f+".path", it.Path)
		if err != nil {
			return nil, err
		}
		if p.Len() < 3 {
			return nil, badPathField(f+".path", it.Path, "a composite write names resource or resource-instance paths")
		}
		var explicit *lwm2m.Type
		if it.Type != nil {
			t, err := lwm2m.ParseType(*it.Type)
			if err != nil {
				return nil, badField(f+".type", "%v", err)
			}
			explicit = &t
		}
		v, err := vp.leaf(f+".value", p, it.Value, explicit)
		if err != nil {
			return nil, err
		}
		out = append(out, lwm2m.Record{Path: p, Value: v})
	}
	return out, nil
}

// pathsFromStrings is used by commands: "/3/0/9" strings to paths.
func pathsFromStrings(field string, raw []string) ([]lwm2m.Path, error) {
	for i := range raw {
		raw[i] = strings.TrimSpace(raw[i])
	}
	return parsePathList(field, raw)
}
