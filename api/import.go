package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/shoal-iot/shoal/dm"
)

// importResultDTO is one row's outcome; Row counts data rows from 1.
type importResultDTO struct {
	Row      int    `json:"row"`
	Endpoint string `json:"endpoint,omitempty"`
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	// PSKKey is a generated key, shown this once.
	PSKKey string `json:"psk_key,omitempty"`
}

// importDTO answers POST /devices/import.
type importDTO struct {
	Created int               `json:"created"`
	Failed  int               `json:"failed"`
	Results []importResultDTO `json:"results"`
}

// importRow is a parsed row, or the reason it could not be parsed.
type importRow struct {
	in  dm.DeviceInput
	ep  string
	err error
}

// importDevices creates devices from a CSV (text/csv) or JSON body (an
// array of create bodies, or {"devices": […]}), reporting per row. Rows
// that cannot be parsed are reported and the others still imported.
func (s *Server) importDevices(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, s.cfg.MaxImportBytes)
	if err != nil {
		return err
	}
	var rows []importRow
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "text/csv":
		rows, err = parseCSVImport(body, s.cfg.MaxImportRows)
	case mt == "" || mt == "application/json":
		rows, err = parseJSONImport(body, s.cfg.MaxImportRows)
	default:
		return &httpError{http.StatusUnsupportedMediaType, typeMediaType, "an import is text/csv or application/json, not " + mt}
	}
	if err != nil {
		return err
	}
	var inputs []dm.DeviceInput
	var index []int // inputs[i] is rows[index[i]]
	for i, row := range rows {
		if row.err == nil {
			inputs = append(inputs, row.in)
			index = append(index, i)
		}
	}
	out := importDTO{Results: make([]importResultDTO, len(rows))}
	for i, row := range rows {
		out.Results[i] = importResultDTO{Row: i + 1, Endpoint: row.ep}
		if row.err != nil {
			out.Results[i].Error = row.err.Error()
		}
	}
	if len(inputs) > 0 {
		results, err := s.svc.ImportDevices(r.Context(), who(r), inputs)
		if err != nil {
			return err
		}
		for _, res := range results {
			if res.Row < 1 || res.Row > len(index) {
				continue
			}
			dst := &out.Results[index[res.Row-1]]
			dst.OK, dst.Error, dst.PSKKey = res.OK, res.Error, res.PSKKeyHex
			if res.Endpoint != "" {
				dst.Endpoint = res.Endpoint
			}
		}
	}
	for i := range out.Results {
		res := &out.Results[i]
		if res.OK {
			out.Created++
			continue
		}
		out.Failed++
		if res.Error == "" {
			res.Error = "not imported"
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// csvColumns are the columns an import may have; endpoint is required.
var csvColumns = []string{"endpoint", "name", "profile", "customer", "labels", "mode", "psk_identity", "psk_key", "certificate"}

func parseCSVImport(body []byte, maxRows int) ([]importRow, error) {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, badField("body", "the CSV is empty; its first line names the columns (%s)", strings.Join(csvColumns, ","))
	}
	if err != nil {
		return nil, badField("body", "CSV header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !containsStr(csvColumns, h) {
			return nil, badField("header", "column %d %q is not one of %s", i+1, h, strings.Join(csvColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, badField("header", "column %q appears twice", h)
		}
		col[h] = i
	}
	if _, ok := col["endpoint"]; !ok {
		return nil, badField("header", "no endpoint column")
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if len(rows) >= maxRows {
			return nil, badField("body", "more than %d rows", maxRows)
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				rows = append(rows, importRow{err: fmt.Errorf("line %d: %v", pe.Line, pe.Err)})
				continue
			}
			return nil, badField("body", "CSV: %v", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		line, _ := cr.FieldPos(0)
		row := importRow{ep: get("endpoint")}
		if len(rec) != len(header) {
			row.err = fmt.Errorf("line %d: %d fields, the header has %d", line, len(rec), len(header))
			rows = append(rows, row)
			continue
		}
		dto := deviceCreateDTO{Endpoint: get("endpoint"), Name: get("name"), Profile: ref(get("profile")),
			Customer: ref(get("customer"))}
		if dto.Labels, err = parseLabelList(get("labels")); err != nil {
			row.err = fmt.Errorf("line %d: labels: %v", line, err)
			rows = append(rows, row)
			continue
		}
		mode, id, key, cert := get("mode"), get("psk_identity"), get("psk_key"), get("certificate")
		if mode == "" && (id != "" || key != "") {
			mode = "psk"
		}
		if mode != "" {
			dto.Credentials = &credentialsDTO{Mode: mode, PSKIdentity: id, PSKKey: key, Certificate: cert}
		}
		row.in, row.err = dto.input("")
		if row.err != nil {
			row.err = fmt.Errorf("line %d: %v", line, row.err)
		}
		rows = append(rows, row)
	}
}

// parseLabelList parses "name=value;name2=value2".
func parseLabelList(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q is not name=value", part)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

func parseJSONImport(body []byte, maxRows int) ([]importRow, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		var wrapped struct {
			Devices json.RawMessage `json:"devices"`
		}
		if err := decodeJSON(bytes.NewReader(body), &wrapped); err != nil {
			return nil, err
		}
		body = wrapped.Devices
	}
	var raws []json.RawMessage
	if err := decodeJSON(bytes.NewReader(body), &raws); err != nil {
		return nil, err
	}
	if len(raws) > maxRows {
		return nil, badField("body", "%d rows, more than %d", len(raws), maxRows)
	}
	rows := make([]importRow, len(raws))
	for i, raw := range raws {
		var dto deviceCreateDTO
		prefix := fmt.Sprintf("[%d]", i)
		if err := decodeJSON(bytes.NewReader(raw), &dto); err != nil {
			rows[i].err = err
			var fe *fieldError
			if errors.As(err, &fe) && fe.Field != "body" {
				rows[i].err = badField(joinField(prefix, fe.Field), "%s", fe.Msg)
			}
			continue
		}
		rows[i].ep = dto.Endpoint
		rows[i].in, rows[i].err = dto.input(prefix)
	}
	return rows, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
