package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shoal-iot/shoal/dm"
)

// dbTime scans a time column of either dialect: Unix microseconds
// (SQLite), a time.Time (PostgreSQL) or NULL (the zero time).
type dbTime struct{ T time.Time }

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.T = time.Time{}
	case int64:
		d.T = time.UnixMicro(x).UTC()
	case float64:
		d.T = time.UnixMicro(int64(x)).UTC()
	case time.Time:
		d.T = x.UTC()
	default:
		return fmt.Errorf("storage: cannot read a time from a %T column value", v)
	}
	return nil
}

// nullID binds a reference id, 0 meaning NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullStr binds a string, "" meaning NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// where accumulates AND-ed conditions with their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (?, …)"; an empty list adds nothing.
func in[T any](w *where, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		w.args = append(w.args, v)
	}
	b.WriteByte(')')
	w.conds = append(w.conds, b.String())
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// placeholders returns "(?, ?, …)" with n marks.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// Cursors are opaque to callers: base64url of "c" and the last ID seen.

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil && len(b) > 1 && b[0] == 'c' {
		if id, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && id > 0 && encodeCursor(id) == s {
			return id, nil
		}
	}
	return 0, fmt.Errorf("%w: cursor %q is malformed", dm.ErrInvalid, s)
}

func pageLimit(l int) (int, error) {
	switch {
	case l < 0:
		return 0, fmt.Errorf("%w: page limit %d is negative", dm.ErrInvalid, l)
	case l == 0:
		return dm.DefaultPageLimit, nil
	case l > dm.MaxPageLimit:
		return dm.MaxPageLimit, nil
	}
	return l, nil
}

// listQuery describes one paginated list: rows of table (with alias a
// used by the filter) selected by cols, filtered by w, ordered by a.id.
type listQuery struct {
	cols  string // selected columns
	from  string // FROM clause, e.g. "devices a"
	w     where
	desc  bool
	idCol string // defaults to "a.id"
}

// page runs lq for p: it returns the ids-ordered rows through scan and the
// total count, and computes the next cursor from the last id.
func page[T any](ctx context.Context, s *Store, db sqlx.QueryerContext, lq listQuery, p dm.PageRequest, scan func(*sql.Rows) (T, int64, error)) (dm.Page[T], error) {
	var out dm.Page[T]
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return out, err
	}
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return out, err
	}
	idCol := lq.idCol
	if idCol == "" {
		idCol = "a.id"
	}
	if err := sqlx.GetContext(ctx, db, &out.Total, s.q("SELECT count(*) FROM "+lq.from+lq.w.sql()), lq.w.args...); err != nil {
		return out, err
	}
	w := lq.w
	w.conds = append([]string(nil), w.conds...)
	w.args = append([]any(nil), w.args...)
	order := " ORDER BY " + idCol
	if after > 0 {
		if lq.desc {
			w.add(idCol+" < ?", after)
		} else {
			w.add(idCol+" > ?", after)
		}
	}
	if lq.desc {
		order += " DESC"
	}
	args := append(w.args, limit+1)
	rows, err := db.QueryContext(ctx, s.q("SELECT "+lq.cols+" FROM "+lq.from+w.sql()+order+" LIMIT ?"), args...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	var lastID int64
	for rows.Next() {
		if len(out.Items) == limit {
			out.Next = encodeCursor(lastID)
			break
		}
		item, id, err := scan(rows)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, item)
		lastID = id
	}
	return out, rows.Err()
}
