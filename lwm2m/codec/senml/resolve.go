package senml

import (
	"fmt"
	"strings"
)

// resolved is a record with the base fields applied (RFC 8428 §4.6). The
// name stays in two parts (base name, name) so the LwM2M layer can parse it
// without building the concatenated string.
type resolved struct {
	src            *Record
	baseName, name string
	unit           string
	value          Number
	str            *string
	boolean        *bool
	data           Data
	objlnk         *string
	sum            Number
	time           Number
	updateTime     Number
}

// fullName returns base name + name.
func (x *resolved) fullName() string { return x.baseName + x.name }

// resolver carries the base fields from record to record: each base field
// applies to the record that holds it and to every later record until the
// next record giving the same base field.
type resolver struct {
	bn         string
	bu         string
	bt, bv, bs Number
}

// next resolves r (which must outlive the result), the next record of the pack.
func (rs *resolver) next(r *Record) (resolved, error) {
	if r.BaseVersion < 0 || r.BaseVersion > DefaultVersion {
		return resolved{}, fmt.Errorf("%w: bver %d is not supported (this reader understands versions 1 to %d)",
			ErrInvalidPack, r.BaseVersion, DefaultVersion)
	}
	if r.BaseName != nil {
		rs.bn = *r.BaseName
	}
	if r.BaseUnit != "" {
		rs.bu = r.BaseUnit
	}
	if r.BaseTime.Present() {
		rs.bt = r.BaseTime
	}
	if r.BaseValue.Present() {
		rs.bv = r.BaseValue
	}
	if r.BaseSum.Present() {
		rs.bs = r.BaseSum
	}
	x := resolved{
		src:        r,
		baseName:   rs.bn,
		name:       r.Name,
		unit:       r.Unit,
		str:        r.StringValue,
		boolean:    r.BoolValue,
		data:       r.DataValue,
		objlnk:     r.ObjectLink,
		time:       rs.bt.Add(r.Time),
		updateTime: r.UpdateTime,
	}
	if x.unit == "" {
		x.unit = rs.bu
	}
	if r.Value.Present() {
		x.value = rs.bv.Add(r.Value)
	}
	if r.Sum.Present() {
		x.sum = rs.bs.Add(r.Sum)
	}
	return x, nil
}

// Resolve returns the resolved form of a pack (RFC 8428 §4.6): every record
// with its full name (base name + name), its unit (or the base unit), its
// value plus the base value, its sum plus the base sum and its time plus
// the base time, and no base fields. Times stay as written: values below
// 2^28 are still relative to "now" (see RFC 8428 §4.5.3). A record whose
// resolved name is empty, a bver above DefaultVersion and a record with
// several value fields are errors wrapping ErrInvalidPack.
func Resolve(p Pack) (Pack, error) {
	out := make(Pack, len(p))
	var rs resolver
	for i := range p {
		x, err := rs.next(&p[i])
		if err != nil {
			return nil, fmt.Errorf("senml: record %d: %w", i, err)
		}
		if p[i].valueCount() > 1 {
			return nil, fmt.Errorf("senml: record %d: %w: %s", i, ErrInvalidPack, multipleValues(&p[i]))
		}
		name := x.fullName()
		if name == "" {
			return nil, fmt.Errorf("senml: record %d: %w: no name (neither bn nor n)", i, ErrInvalidPack)
		}
		out[i] = Record{
			Name:        name,
			Unit:        x.unit,
			Time:        x.time,
			UpdateTime:  x.updateTime,
			Value:       x.value,
			StringValue: x.str,
			BoolValue:   x.boolean,
			DataValue:   x.data,
			ObjectLink:  x.objlnk,
			Sum:         x.sum,
		}
	}
	return out, nil
}

func multipleValues(r *Record) string {
	return "more than one value field (" + strings.Join(r.valueFields(), ", ") + ")"
}
