package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// col is a table column: its heading and the JSON member shown in it.
type col struct{ head, key string }

// record is one JSON object of an answer, member by member.
type record map[string]json.RawMessage

func (r record) get(key string) string {
	if key == "" {
		return ""
	}
	// "a.b" reaches into a nested object.
	if first, rest, ok := strings.Cut(key, "."); ok {
		var inner record
		if json.Unmarshal(r[first], &inner) != nil {
			return ""
		}
		return inner.get(rest)
	}
	return cell(r[key])
}

// rowsTable renders a page of records in columns.
func rowsTable(cols []col) func(page[record]) *table {
	return func(p page[record]) *table {
		heads := make([]string, len(cols))
		for i, c := range cols {
			heads[i] = c.head
		}
		t := newTable(heads...)
		for _, it := range p.Items {
			cells := make([]string, len(cols))
			for i, c := range cols {
				cells[i] = it.get(c.key)
			}
			t.add(cells...)
		}
		pageFooter(t, p)
		return t
	}
}

// fieldsTable renders one record as name/value lines.
func fieldsTable(keys ...string) func(record) *table {
	return func(r record) *table {
		kv := make([]string, 0, 2*len(keys))
		for _, k := range keys {
			kv = append(kv, labelOf(k), r.get(k))
		}
		return fields(kv...)
	}
}

// labelOf turns a JSON key into a field label: psk_key is "psk key".
func labelOf(k string) string { return strings.NewReplacer("_", " ", ".", " ").Replace(k) }

// listFlags are the paging flags every list has.
type listFlags struct {
	cursor string
	limit  int
}

func (l *listFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.cursor, "cursor", "", "next page cursor")
	cmd.Flags().IntVar(&l.limit, "limit", 0, "page size")
}

func (l *listFlags) query(q url.Values) {
	setQ(q, "cursor", l.cursor)
	if l.limit > 0 {
		q.Set("limit", strconv.Itoa(l.limit))
	}
}

// list GETs path with q and shows the page in cols.
func (a *app) list(ctx context.Context, path string, q url.Values, cols []col) error {
	var raw json.RawMessage
	if err := a.api.getJSON(ctx, path, q, &raw); err != nil {
		return err
	}
	return showAs(a, raw, rowsTable(cols))
}

// get GETs path and shows the record's keys.
func (a *app) get(ctx context.Context, path string, keys []string) error {
	var raw json.RawMessage
	if err := a.api.getJSON(ctx, path, nil, &raw); err != nil {
		return err
	}
	return showAs(a, raw, fieldsTable(keys...))
}

// write sends body with method to path and shows the answer's keys (under
// member when the record is nested in the answer).
func (a *app) write(ctx context.Context, method, path string, body any, member string, keys []string) error {
	var raw json.RawMessage
	if _, err := a.api.sendJSON(ctx, method, path, nil, body, &raw); err != nil {
		return err
	}
	return showAs(a, raw, func(r record) *table {
		if member != "" {
			var inner record
			_ = json.Unmarshal(r[member], &inner)
			t := fieldsTable(keys...)(inner)
			for k, v := range r {
				if k != member && cell(v) != "" {
					t.add(strings.ToUpper(labelOf(k))+":", cell(v))
				}
			}
			return t
		}
		return fieldsTable(keys...)(r)
	})
}

// remove DELETEs path (with q) and says so.
func (a *app) remove(ctx context.Context, path string, q url.Values, what string) error {
	if _, err := a.api.do(ctx, request{method: http.MethodDelete, path: path, query: q}, nil); err != nil {
		return err
	}
	if a.cfg.Output != "json" {
		fmt.Fprintln(a.out, what)
	}
	return nil
}

// setIf puts v into m under k when the flag named k was given.
func setIf[T any](cmd *cobra.Command, m map[string]any, flag, k string, v T) {
	if cmd.Flags().Changed(flag) {
		m[k] = v
	}
}
