package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// AttributeRepo implements dm.AttributeStore.
type AttributeRepo struct{ s *Store }

var _ dm.AttributeStore = AttributeRepo{}

// Attributes returns the latest-values repository.
func (s *Store) Attributes() AttributeRepo { return AttributeRepo{s} }

const attributeChunk = 500

// Upsert implements dm.AttributeStore: one transaction, multi-row upserts;
// within the batch the newest value per (device, path) wins.
func (r AttributeRepo) Upsert(ctx context.Context, vs []models.AttributeValue) error {
	s := r.s
	what := fmt.Sprintf("upsert %d attribute values", len(vs))
	type key struct {
		dev  int64
		path lwm2m.Path
	}
	now := s.now()
	newest := make(map[key]int, len(vs))
	for i := range vs {
		v := &vs[i]
		if v.DeviceID == 0 || v.Path.Len() == 0 {
			return s.wrap(fmt.Errorf("%w: attribute value %d needs a device and a path", dm.ErrInvalid, i), what)
		}
		if v.UpdatedAt.IsZero() {
			v.UpdatedAt = now
		}
		k := key{v.DeviceID, v.Path}
		if j, ok := newest[k]; !ok || !vs[j].UpdatedAt.After(v.UpdatedAt) {
			newest[k] = i
		}
	}
	batch := make([]*models.AttributeValue, 0, len(newest))
	for i := range vs {
		if newest[key{vs[i].DeviceID, vs[i].Path}] == i {
			batch = append(batch, &vs[i])
		}
	}
	if len(batch) == 0 {
		return nil
	}
	row := placeholders(7)
	err := s.inTx(ctx, func(tx *sqlTx) error {
		for start := 0; start < len(batch); start += attributeChunk {
			chunk := batch[start:min(start+attributeChunk, len(batch))]
			args := make([]any, 0, 7*len(chunk))
			for _, v := range chunk {
				c := encodeValue(v.Value)
				args = append(args, v.DeviceID, v.Path.String(), v.Key, c.vtype, c.num, c.txt, s.t(v.UpdatedAt))
			}
			q := "INSERT INTO attributes (device_id, path, key, vtype, num, txt, updated_at) VALUES " +
				strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ") +
				` ON CONFLICT (device_id, path) DO UPDATE SET key = excluded.key, vtype = excluded.vtype,
				num = excluded.num, txt = excluded.txt, updated_at = excluded.updated_at
				WHERE excluded.updated_at >= attributes.updated_at`
			if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap(err, what)
}

// Latest implements dm.AttributeStore.
func (r AttributeRepo) Latest(ctx context.Context, deviceID int64) ([]models.AttributeValue, error) {
	s := r.s
	what := fmt.Sprintf("attributes of device %d", deviceID)
	rows, err := s.r.QueryContext(ctx, s.q("SELECT path, key, vtype, num, txt, updated_at FROM attributes WHERE device_id = ?"), deviceID)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	out, err := collect(rows, func(sc scanner) (models.AttributeValue, error) {
		a := models.AttributeValue{DeviceID: deviceID}
		var path string
		var vtype int64
		var num sql.NullFloat64
		var txt sql.NullString
		var upd dbTime
		if err := sc.Scan(&path, &a.Key, &vtype, &num, &txt, &upd); err != nil {
			return a, err
		}
		a.UpdatedAt = upd.T
		var err error
		if a.Path, err = lwm2m.ParsePath(path); err != nil {
			return a, fmt.Errorf("stored path: %w", err)
		}
		if a.Value, err = decodeValue(vtype, num, txt); err != nil {
			return a, fmt.Errorf("%s: %w", path, err)
		}
		return a, nil
	}, s, what)
	sort.Slice(out, func(i, j int) bool { return out[i].Path.Compare(out[j].Path) < 0 })
	return out, err
}
