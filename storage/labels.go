package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/shoal-iot/shoal/dm"
)

// Labels of devices and assets live in side tables (device_labels,
// asset_labels) so both dialects filter on them with plain indexed joins.

type labelTable struct {
	table string // device_labels
	owner string // device_id
}

var (
	deviceLabels = labelTable{"device_labels", "device_id"}
	assetLabels  = labelTable{"asset_labels", "asset_id"}
)

func validateLabels(labels map[string]string) error {
	for k := range labels {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%w: label with an empty key", dm.ErrInvalid)
		}
	}
	return nil
}

func (s *Store) putLabels(ctx context.Context, tx *sqlx.Tx, lt labelTable, id int64, labels map[string]string, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+lt.table+" WHERE "+lt.owner+" = ?"), id); err != nil {
			return err
		}
	}
	if len(labels) == 0 {
		return nil
	}
	keys := sortedKeys(labels)
	args := make([]any, 0, 3*len(keys))
	rows := make([]string, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, "(?, ?, ?)")
		args = append(args, id, k, labels[k])
	}
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO "+lt.table+" ("+lt.owner+", key, value) VALUES "+strings.Join(rows, ", ")), args...)
	return err
}

// loadLabels returns the labels of the given owners.
func (s *Store) loadLabels(ctx context.Context, db sqlx.QueryerContext, lt labelTable, ids []int64) (map[int64]map[string]string, error) {
	out := make(map[int64]map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var w where
	in(&w, lt.owner, ids)
	rows, err := db.QueryContext(ctx, s.q("SELECT "+lt.owner+", key, value FROM "+lt.table+w.sql()), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][k] = v
	}
	return out, rows.Err()
}

// labelFilter adds one EXISTS condition per wanted label.
func labelFilter(w *where, lt labelTable, ownerCol string, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		w.add("EXISTS (SELECT 1 FROM "+lt.table+" l WHERE l."+lt.owner+" = "+ownerCol+" AND l.key = ? AND l.value = ?)", k, labels[k])
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// likePattern escapes s for LIKE … ESCAPE '\' and wraps it in %…%.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}
