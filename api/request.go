package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
)

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// readBody reads the request body up to limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, mbe
		}
		return nil, badField("body", "reading the body: %v", err)
	}
	return b, nil
}

// decodeBody decodes a JSON request body into v (see decodeJSON).
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	b, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	return decodeJSON(strings.NewReader(string(b)), v)
}

// requireJSON refuses bodies declared as something other than JSON; a
// missing Content-Type is taken as JSON.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return &httpError{http.StatusUnsupportedMediaType, typeMediaType, "Content-Type " + ct + " is not application/json"}
	}
	return nil
}

// endpointVar returns the {endpoint} route variable.
func endpointVar(r *http.Request) string { return mux.Vars(r)["endpoint"] }

// pathVar parses the {path} route variable as an LwM2M path.
func pathVar(r *http.Request) (lwm2m.Path, error) {
	raw := mux.Vars(r)["path"]
	p, err := lwm2m.ParsePath("/" + raw)
	if err != nil {
		return lwm2m.Path{}, badPathField("path", "/"+raw, "%s", strings.TrimPrefix(err.Error(), lwm2m.ErrInvalidPath.Error()+": "))
	}
	if p.IsRoot() {
		return lwm2m.Path{}, badField("path", "an object, instance, resource or resource-instance path is required")
	}
	return p, nil
}

// parsePathField parses an LwM2M path given in field.
func parsePathField(field, s string) (lwm2m.Path, error) {
	p, err := lwm2m.ParsePath(s)
	if err != nil {
		return lwm2m.Path{}, badPathField(field, s, "%s", strings.TrimPrefix(err.Error(), lwm2m.ErrInvalidPath.Error()+": "))
	}
	return p, nil
}

// idVar parses a numeric route variable.
func idVar(r *http.Request, name string) (int64, error) {
	s := mux.Vars(r)[name]
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badField(name, "%q is not a positive integer id", s)
	}
	return id, nil
}

// queryDuration parses a Go duration ("30s") or a number of seconds,
// capped at max; absent is 0.
func queryDuration(q url.Values, name string, max time.Duration) (time.Duration, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	return parseDurationField(name, s, max)
}

func parseDurationField(field, s string, max time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || secs != secs {
			return 0, badField(field, "%q is not a duration such as \"30s\" or a number of seconds", s)
		}
		if secs > float64(1<<62)/float64(time.Second) {
			return 0, badField(field, "%q is too long", s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return 0, badField(field, "%q is negative", s)
	}
	if max > 0 && d > max {
		return 0, badField(field, "%v exceeds the limit of %v", d, max)
	}
	return d, nil
}

// queryInt parses a non-negative integer parameter; absent is 0.
func queryInt(q url.Values, name string, max int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badField(name, "%q is not a non-negative integer", s)
	}
	if max > 0 && n > max {
		return 0, badField(name, "%d exceeds the limit of %d", n, max)
	}
	return n, nil
}

// queryBool parses true/false/1/0; absent is false.
func queryBool(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badField(name, "%q is not true or false", s)
	}
	return b, nil
}

// queryTime parses RFC 3339, Unix seconds, or a negative duration relative
// to now ("-1h"); absent is the zero time.
func queryTime(q url.Values, name string, now time.Time) (time.Time, error) {
	return parseTimeField(name, q.Get(name), now)
}

func parseTimeField(field, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	if strings.HasPrefix(s, "-") {
		if d, err := time.ParseDuration(s); err == nil {
			return now.Add(d).UTC(), nil
		}
	}
	return time.Time{}, badField(field, "%q is not RFC 3339, Unix seconds or a negative duration such as \"-1h\"", s)
}

// queryList returns the values of a repeatable, comma-separable parameter.
func queryList(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// queryFormat parses ?format= (a short name, media type or number).
func queryFormat(q url.Values) (lwm2m.ContentFormat, error) {
	s := q.Get("format")
	if s == "" {
		return lwm2m.FormatNone, nil
	}
	f, err := lwm2m.ParseContentFormat(s)
	if err != nil {
		return lwm2m.FormatNone, badField("format", "%v (try tlv, senml-json, senml-cbor, lwm2m-json, lwm2m-cbor, text, opaque, cbor)", err)
	}
	return f, nil
}

// pageRequest parses ?cursor= and ?limit=.
func pageRequest(q url.Values) (dm.PageRequest, error) {
	limit, err := queryInt(q, "limit", dm.MaxPageLimit)
	if err != nil {
		return dm.PageRequest{}, err
	}
	return dm.PageRequest{Cursor: q.Get("cursor"), Limit: limit}, nil
}

// pageDTO is every list's shape.
type pageDTO[T any] struct {
	Items []T    `json:"items"`
	Total int64  `json:"total"`
	Next  string `json:"next"`
}

// toPage converts a dm page with conv.
func toPage[A, B any](p dm.Page[A], conv func(A) B) pageDTO[B] {
	out := pageDTO[B]{Items: make([]B, len(p.Items)), Total: p.Total, Next: p.Next}
	for i, it := range p.Items {
		out.Items[i] = conv(it)
	}
	return out
}

// listPage answers a plain list endpoint: the page ?cursor= and ?limit=
// ask for, from list, each item converted with conv.
func listPage[A, B any](w http.ResponseWriter, r *http.Request,
	list func(context.Context, dm.Principal, dm.PageRequest) (dm.Page[A], error), conv func(A) B) error {
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := list(r.Context(), who(r), pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(pg, conv))
}

// deleteByID answers a DELETE of the resource {id}: del, then 204.
func deleteByID(w http.ResponseWriter, r *http.Request, del func(context.Context, dm.Principal, int64) error) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	if err := del(r.Context(), who(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stateFilter parses ?state= (repeatable or comma-separated) as states of
// valid; a bad one is a 400 saying it is not want.
func stateFilter[S ~string](q url.Values, valid []S, want string) ([]S, error) {
	var out []S
	for _, st := range queryList(q, "state") {
		if !slices.Contains(valid, S(st)) {
			return nil, badField("state", "%q is not %s", st, want)
		}
		out = append(out, S(st))
	}
	return out, nil
}
