package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
)

// The LwM2M operation routes. Each builds an lwm2m.Request, hands it to
// dm.Service.Execute with the options of the query string, and renders
// the device's answer (200/201), the queued command (202), or a problem.
//
// Query parameters shared by all of them:
//
//	format   content format to ask for or to write in (tlv, senml-cbor, …)
//	timeout  how long the device has to answer once the request is sent
//	wait     how long to wait for a queued command's answer (else 202 at once)
//	queue    true: always queue durably; false: never queue (error instead)
//	expiry   lifetime of a queued command; attempts: its delivery attempts

// opOptions reads the shared query parameters.
func (s *Server) opOptions(q url.Values) (dm.CommandOptions, lwm2m.Request, error) {
	var o dm.CommandOptions
	var req lwm2m.Request
	var err error
	if req.Format, err = queryFormat(q); err != nil {
		return o, req, err
	}
	if req.Timeout, err = queryDuration(q, "timeout", s.cfg.MaxTimeout); err != nil {
		return o, req, err
	}
	if o.Wait, err = queryDuration(q, "wait", s.cfg.MaxWait); err != nil {
		return o, req, err
	}
	if o.Expiry, err = queryDuration(q, "expiry", 0); err != nil {
		return o, req, err
	}
	if o.MaxAttempts, err = queryInt(q, "attempts", 1000); err != nil {
		return o, req, err
	}
	if q.Has("queue") {
		b, err := queryBool(q, "queue")
		if err != nil {
			return o, req, err
		}
		o.Queue, o.NoQueue = b, !b
	}
	return o, req, nil
}

// runOp executes op at the route's path with the body filler fill.
func (s *Server) runOp(w http.ResponseWriter, r *http.Request, op lwm2m.Operation, fill func(*lwm2m.Request) error) error {
	p, err := pathVar(r)
	if err != nil {
		return err
	}
	o, req, err := s.opOptions(r.URL.Query())
	if err != nil {
		return err
	}
	req.Op, req.Path = op, p
	if fill != nil {
		if err := fill(&req); err != nil {
			return err
		}
	}
	return s.execute(w, r, endpointVar(r), req, o)
}

// execute validates req, runs it and renders the outcome.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, ep string, req lwm2m.Request, o dm.CommandOptions) error {
	if err := req.Validate(); err != nil {
		return requestError(req, err)
	}
	res, err := s.svc.Execute(r.Context(), who(r), ep, req, o)
	if err != nil {
		return err
	}
	return renderResult(w, ep, req, res)
}

// requestError names the input a Request.Validate error is about.
func requestError(req lwm2m.Request, err error) error {
	field := "path"
	switch {
	case errors.Is(err, lwm2m.ErrInvalidNode):
		field = "value"
	case req.Op == lwm2m.OpWriteAttributes && req.Path.Len() > 0:
		field = "attributes"
	}
	return badPathField(field, req.Path.String(), "%s", err.Error())
}

func (s *Server) read(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpRead, nil)
}

func (s *Server) write(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpWrite, s.fillContent(w, r))
}

func (s *Server) writeUpdate(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpWriteUpdate, s.fillContent(w, r))
}

// fillContent parses a Write body into the request.
func (s *Server) fillContent(w http.ResponseWriter, r *http.Request) func(*lwm2m.Request) error {
	return func(req *lwm2m.Request) error {
		if req.Path.Len() < 2 {
			return badPathField("path", req.Path.String(), "a write needs an instance, resource or resource-instance path")
		}
		if err := requireJSON(r); err != nil {
			return err
		}
		body, err := readBody(w, r, s.cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		n, err := s.vp.content(req.Path, body)
		if err != nil {
			return err
		}
		req.Content = &n
		return nil
	}
}

// executeOrCreate is POST: Execute on a resource (the body is the
// arguments), Create on an object (the body is the new instance).
func (s *Server) executeOrCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := pathVar(r)
	if err != nil {
		return err
	}
	switch {
	case p.IsResource():
		return s.runOp(w, r, lwm2m.OpExecute, func(req *lwm2m.Request) error {
			body, err := readBody(w, r, s.cfg.MaxBodyBytes)
			if err != nil {
				return err
			}
			req.Args, err = execArgsBody(r.Header.Get("Content-Type"), body)
			return err
		})
	case p.IsObject():
		return s.runOp(w, r, lwm2m.OpCreate, func(req *lwm2m.Request) error {
			if err := requireJSON(r); err != nil {
				return err
			}
			body, err := readBody(w, r, s.cfg.MaxBodyBytes)
			if err != nil {
				return err
			}
			n, hasID, err := s.vp.createContent(req.Path, body)
			if err != nil {
				return err
			}
			req.Content, req.NoInstanceID = &n, !hasID
			return nil
		})
	}
	return badPathField("path", p.String(), "POST executes a resource (/o/i/r) or creates an instance in an object (/o)")
}

// execArgsBody reads Execute arguments: a text/plain body as is, or JSON
// {"args": "0='v',1"} or a JSON string.
func execArgsBody(contentType string, body []byte) (string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	args := string(body)
	if mt != "text/plain" && len(strings.TrimSpace(args)) > 0 {
		trimmed := strings.TrimSpace(args)
		switch trimmed[0] {
		case '"':
			if err := json.Unmarshal([]byte(trimmed), &args); err != nil {
				return "", badField("body", "malformed JSON string")
			}
		case '{':
			var b struct {
				Args string `json:"args"`
			}
			if err := decodeJSON(strings.NewReader(trimmed), &b); err != nil {
				return "", err
			}
			args = b.Args
		default:
			if mt == "application/json" {
				return "", badField("body", "Execute arguments are a JSON string or {\"args\": \"…\"}")
			}
		}
	}
	if err := checkExecArgs(args); err != nil {
		return "", err
	}
	return args, nil
}

// checkExecArgs checks the Execute argument syntax of Core TS 1.1 §5.4.5:
// arg *("," arg), arg = DIGIT ["=" "'" *CHAR "'"], where CHAR is a
// printable character other than the quotes; each digit at most once.
func checkExecArgs(s string) error {
	if s == "" {
		return nil
	}
	bad := func(i int, format string, args ...any) error {
		return badField("args", "offset %d: "+format, append([]any{i}, args...)...)
	}
	var seen [10]bool
	i := 0
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return bad(i, "expected an argument number 0-9")
		}
		if seen[s[i]-'0'] {
			return bad(i, "argument %c given twice", s[i])
		}
		seen[s[i]-'0'] = true
		i++
		if i < len(s) && s[i] == '=' {
			i++
			if i >= len(s) || s[i] != '\'' {
				return bad(i, "expected a quote (') to open the value")
			}
			start := i
			i++
			for i < len(s) && s[i] != '\'' {
				if c := s[i]; c < 0x21 || c == '"' || c > 0x7e {
					return bad(i, "character 0x%02x is not allowed in a value", c)
				}
				i++
			}
			if i >= len(s) {
				return bad(start, "unterminated value (no closing ')")
			}
			i++
		}
		if i == len(s) {
			return nil
		}
		if s[i] != ',' {
			return bad(i, "expected ',' between arguments")
		}
		i++
	}
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpDelete, nil)
}

func (s *Server) observeOp(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpObserve, nil)
}

func (s *Server) cancelObserve(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpCancelObserve, nil)
}

func (s *Server) discover(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpDiscover, nil)
}

// writeAttributes takes the attributes as a JSON body ({"pmin": 10,
// "gt": 20.5, "unset": ["lt"]}) or, with no body, from the query string
// (?pmin=10&lt to clear lt).
func (s *Server) writeAttributes(w http.ResponseWriter, r *http.Request) error {
	return s.runOp(w, r, lwm2m.OpWriteAttributes, func(req *lwm2m.Request) error {
		body, err := readBody(w, r, s.cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := requireJSON(r); err != nil {
				return err
			}
			req.Attributes, err = parseAttributesJSON("", body)
			return err
		}
		req.Attributes, err = attributesFromQuery(r.URL.Query())
		return err
	})
}

// attrQueryNames are the query parameters writeAttributes reads.
var attrQueryNames = []string{"pmin", "pmax", "gt", "lt", "st", "epmin", "epmax", "edge", "con", "hqmax"}

func attributesFromQuery(q url.Values) (lwm2m.Attributes, error) {
	var a lwm2m.Attributes
	for _, name := range attrQueryNames {
		if !q.Has(name) {
			continue
		}
		v := q.Get(name)
		if err := a.Set(name, v, v != ""); err != nil {
			return a, badField(name, "%v", err)
		}
	}
	if err := a.Validate(); err != nil {
		return a, badField("attributes", "%v", err)
	}
	return a, nil
}

// parseAttributesJSON reads {"pmin": 10, …, "unset": ["gt"]} at field.
func parseAttributesJSON(field string, raw []byte) (lwm2m.Attributes, error) {
	var a lwm2m.Attributes
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return a, badField(fieldOrBody(field), "attributes are a JSON object such as {\"pmin\": 10, \"unset\": [\"gt\"]}")
	}
	for name, v := range m {
		f := joinField(field, name)
		if name == "unset" {
			var names []string
			if err := json.Unmarshal(v, &names); err != nil {
				return a, badField(f, "must be a list of attribute names")
			}
			for _, n := range names {
				if err := a.Set(n, "", false); err != nil {
					return a, badField(f, "%v", err)
				}
			}
			continue
		}
		var num json.Number
		if v = bytes.TrimSpace(v); len(v) == 0 || v[0] == '"' || json.Unmarshal(v, &num) != nil {
			return a, badField(f, "must be a number")
		}
		if err := a.Set(name, num.String(), true); err != nil {
			return a, badField(f, "%v", err)
		}
	}
	if err := a.Validate(); err != nil {
		return a, badField(fieldOrBody(field), "%v", err)
	}
	if a.IsZero() {
		return a, badField(fieldOrBody(field), "no attributes to set or unset")
	}
	return a, nil
}

// renderResult answers with the device's answer, the queued command, or
// the device's error.
func renderResult(w http.ResponseWriter, ep string, req lwm2m.Request, res dm.CommandResult) error {
	if res.Response == nil {
		if res.Command.State.Terminal() {
			return &commandEndedError{Command: res.Command}
		}
		w.Header().Set("Location", V1+"/commands/"+strconv.FormatInt(res.Command.ID, 10))
		return writeJSON(w, http.StatusAccepted, toCommandDTO(res.Command))
	}
	resp := res.Response
	if !resp.Code.IsSuccess() {
		de := &deviceError{Code: resp.Code, CommandID: res.Command.ID}
		var st *lwm2m.Status
		if errors.As(resp.Err(), &st) {
			de.Reason = st.Reason
		}
		return de
	}
	out := toResultDTO(ep, req, resp)
	out.CommandID = res.Command.ID
	status := http.StatusOK
	if req.Op == lwm2m.OpCreate {
		status = http.StatusCreated
		if resp.Location.Len() > 0 {
			w.Header().Set("Location", V1+"/devices/"+url.PathEscape(ep)+"/lwm2m"+resp.Location.String())
		}
	}
	return writeJSON(w, status, out)
}
