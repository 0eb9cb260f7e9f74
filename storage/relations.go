package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// RelationRepo implements dm.RelationStore. Relation ends are polymorphic
// (device or asset), so their existence is checked in the transaction
// rather than by foreign keys; deleting a device or asset deletes its
// relations.
type RelationRepo struct{ s *Store }

var _ dm.RelationStore = RelationRepo{}

// Relations returns the relation repository.
func (s *Store) Relations() RelationRepo { return RelationRepo{s} }

const relationCols = "from_kind, from_id, to_kind, to_id, type, created_at"

func scanRelation(sc scanner) (models.Relation, error) {
	var r models.Relation
	var fk, tk string
	var created dbTime
	err := sc.Scan(&fk, &r.From.ID, &tk, &r.To.ID, &r.Type, &created)
	r.From.Kind, r.To.Kind, r.CreatedAt = models.EntityKind(fk), models.EntityKind(tk), created.T
	return r, err
}

func entityTable(k models.EntityKind) (string, error) {
	switch k {
	case models.EntityDevice:
		return "devices", nil
	case models.EntityAsset:
		return "assets", nil
	}
	return "", fmt.Errorf("%w: entity kind %q", dm.ErrInvalid, k)
}

func (r RelationRepo) mustExist(ctx context.Context, tx *sqlTx, e models.EntityRef) error {
	table, err := entityTable(e.Kind)
	if err != nil {
		return err
	}
	var id int64
	err = tx.GetContext(ctx, &id, r.s.q("SELECT id FROM "+table+" WHERE id = ?"+r.s.d.ForUpdate()), e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s %d does not exist", dm.ErrInvalid, e.Kind, e.ID)
	}
	return err
}

// Put implements dm.RelationStore.
func (r RelationRepo) Put(ctx context.Context, rel *models.Relation) error {
	s := r.s
	what := fmt.Sprintf("relate %s %d -%s-> %s %d", rel.From.Kind, rel.From.ID, rel.Type, rel.To.Kind, rel.To.ID)
	if rel.Type == "" {
		return s.wrap(fmt.Errorf("%w: relation type is empty", dm.ErrInvalid), what)
	}
	if rel.From == rel.To {
		return s.wrap(fmt.Errorf("%w: an entity cannot relate to itself", dm.ErrInvalid), what)
	}
	if rel.CreatedAt.IsZero() {
		rel.CreatedAt = s.now()
	}
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if err := r.mustExist(ctx, tx, rel.From); err != nil {
			return err
		}
		if err := r.mustExist(ctx, tx, rel.To); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO relations ("+relationCols+") VALUES (?, ?, ?, ?, ?, ?)"),
			string(rel.From.Kind), rel.From.ID, string(rel.To.Kind), rel.To.ID, rel.Type, s.t(rel.CreatedAt))
		return err
	})
	return s.wrap(err, what)
}

// Delete implements dm.RelationStore.
func (r RelationRepo) Delete(ctx context.Context, from, to models.EntityRef, typ string) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM relations WHERE from_kind = ? AND from_id = ? AND to_kind = ? AND to_id = ? AND type = ?"),
		string(from.Kind), from.ID, string(to.Kind), to.ID, typ))
	return r.s.wrapDelete(err, fmt.Sprintf("delete relation %s %d -%s-> %s %d", from.Kind, from.ID, typ, to.Kind, to.ID))
}

func (r RelationRepo) list(ctx context.Context, kindCol, idCol string, e models.EntityRef, what string) ([]models.Relation, error) {
	rows, err := r.s.r.QueryContext(ctx, r.s.q("SELECT "+relationCols+" FROM relations WHERE "+kindCol+" = ? AND "+idCol+" = ? ORDER BY from_kind, from_id, to_kind, to_id, type"),
		string(e.Kind), e.ID)
	if err != nil {
		return nil, r.s.wrap(err, what)
	}
	return collect(rows, scanRelation, r.s, what)
}

// From implements dm.RelationStore.
func (r RelationRepo) From(ctx context.Context, from models.EntityRef) ([]models.Relation, error) {
	return r.list(ctx, "from_kind", "from_id", from, fmt.Sprintf("relations from %s %d", from.Kind, from.ID))
}

// To implements dm.RelationStore.
func (r RelationRepo) To(ctx context.Context, to models.EntityRef) ([]models.Relation, error) {
	return r.list(ctx, "to_kind", "to_id", to, fmt.Sprintf("relations to %s %d", to.Kind, to.ID))
}

// containedDevices selects the ids of the devices an asset (the first
// argument) contains, directly or through the assets it contains; the
// second and third arguments are the relation type ("contains"). UNION
// ends cycles.
const containedDevices = `WITH RECURSIVE reach(kind, id) AS (
		SELECT to_kind, to_id FROM relations WHERE from_kind = 'asset' AND from_id = ? AND type = ?
		UNION
		SELECT rel.to_kind, rel.to_id FROM relations rel JOIN reach ON rel.from_kind = reach.kind AND rel.from_id = reach.id
		WHERE rel.type = ?
	)
	SELECT id FROM reach WHERE kind = 'device'`

// Descendants implements dm.RelationStore with a recursive query; UNION
// (not UNION ALL) drops rows already reached, which ends cycles.
func (r RelationRepo) Descendants(ctx context.Context, root models.EntityRef, typ string) ([]models.EntityRef, error) {
	s := r.s
	what := fmt.Sprintf("descendants of %s %d", root.Kind, root.ID)
	rows, err := s.r.QueryContext(ctx, s.q(`WITH RECURSIVE reach(kind, id) AS (
			SELECT to_kind, to_id FROM relations WHERE from_kind = ? AND from_id = ? AND type = ?
			UNION
			SELECT rel.to_kind, rel.to_id FROM relations rel JOIN reach ON rel.from_kind = reach.kind AND rel.from_id = reach.id
			WHERE rel.type = ?
		)
		SELECT kind, id FROM reach WHERE NOT (kind = ? AND id = ?) ORDER BY kind, id`),
		string(root.Kind), root.ID, typ, typ, string(root.Kind), root.ID)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	return collect(rows, func(sc scanner) (models.EntityRef, error) {
		var e models.EntityRef
		var k string
		err := sc.Scan(&k, &e.ID)
		e.Kind = models.EntityKind(k)
		return e, err
	}, s, what)
}
