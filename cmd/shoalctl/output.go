package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// table is an aligned text table.
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(t.header) > 0 {
		fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	}
	for _, r := range t.rows {
		for i := range r {
			r[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(r[i])
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// fields is a vertical two-column table for one object.
func fields(kv ...string) *table {
	t := newTable()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			t.add(strings.ToUpper(kv[i])+":", kv[i+1])
		}
	}
	return t
}

// show prints raw as indented JSON with -o json, else the table render
// builds from it.
func (a *app) show(raw json.RawMessage, render func(json.RawMessage) (*table, error)) error {
	if a.cfg.Output == "json" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("the server's answer is not JSON: %v", err)
		}
		buf.WriteByte('\n')
		_, err := a.out.Write(buf.Bytes())
		return err
	}
	t, err := render(raw)
	if err != nil {
		return err
	}
	return t.write(a.out)
}

// showAs decodes raw into a T for the table.
func showAs[T any](a *app, raw json.RawMessage, render func(T) *table) error {
	return a.show(raw, func(raw json.RawMessage) (*table, error) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("the server's answer is not what shoalctl expects: %v", err)
		}
		return render(v), nil
	})
}

// cell renders a raw JSON value for a table: strings unquoted, null
// empty, objects and arrays compact.
func cell(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

func ts(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format(time.RFC3339)
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

// labelText renders labels as a=1,b=2 in name order.
func labelText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// valueText renders a typed LwM2M value in its JSON form.
func valueText(v lwm2m.Value) string {
	switch x := v.JSON().(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// nodeRows adds one PATH TYPE VALUE row per value under a node.
func nodeRows(t *table, path string, raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	p, err := lwm2m.ParsePath(path)
	if err != nil {
		return err
	}
	var n lwm2m.Node
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("content: %v", err)
	}
	for _, r := range n.Records(p) {
		t.add(r.Path.String(), r.Value.Type().String(), valueText(r.Value))
	}
	return nil
}
