package objects

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// resources reads the <Item> children of <Resources>. obj points at the
// object's label, which gains the object id once <ObjectID> has been read.
func (p *ddfParser) resources(obj *string) ([]lwm2m.ResourceModel, error) {
	var out []lwm2m.ResourceModel
	firstLine := make(map[uint16]int)
	for pos := 0; ; {
		t, err := p.token(*obj + " Resources")
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Local != "Item" {
				if err := p.skip(*obj + " Resources"); err != nil {
					return nil, err
				}
				continue
			}
			pos++
			line := p.line()
			r, err := p.item(*obj, pos, t)
			if err != nil {
				return nil, err
			}
			if prev, dup := firstLine[r.ID]; dup {
				return nil, p.fail(line, fmt.Sprintf("%s Item[ID=%d]", *obj, r.ID),
					"duplicate resource id %d (first defined at line %d)", r.ID, prev)
			}
			firstLine[r.ID] = line
			out = append(out, r)
		case xml.EndElement:
			return out, nil
		}
	}
}

// item reads one <Item>, whose start tag was just read; pos is its 1-based
// position inside <Resources>.
func (p *ddfParser) item(obj string, pos int, start xml.StartElement) (lwm2m.ResourceModel, error) {
	var r lwm2m.ResourceModel
	line := p.line()
	label := fmt.Sprintf("%s Item[%d]", obj, pos)
	idAttr, ok := attr(start, "ID")
	if !ok {
		return r, p.fail(line, label, "missing ID attribute")
	}
	id, err := parseID(strings.TrimSpace(idAttr))
	if err != nil {
		return r, p.fail(line, label, "ID attribute: %v", err)
	}
	r.ID = id
	label = fmt.Sprintf("%s Item[ID=%d]", obj, id)

	var name, ops, multi, mand, typ, rng, units leaf
	for {
		t, err := p.token(label)
		if err != nil {
			return r, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			var f *leaf
			switch t.Name.Local {
			case "Name":
				f = &name
			case "Operations":
				f = &ops
			case "MultipleInstances":
				f = &multi
			case "Mandatory":
				f = &mand
			case "Type":
				f = &typ
			case "RangeEnumeration":
				f = &rng
			case "Units":
				f = &units
			default:
				if err := p.skip(label); err != nil {
					return r, err
				}
				continue
			}
			if err := p.readLeaf(f, t.Name.Local, label); err != nil {
				return r, err
			}
		case xml.EndElement:
			r.Range, r.Units = rng.val, units.val
			return r, p.finishItem(&r, line, label, name, ops, multi, mand, typ)
		}
	}
}

// finishItem checks an item's fields once </Item> is reached.
func (p *ddfParser) finishItem(r *lwm2m.ResourceModel, start int, label string,
	name, ops, multi, mand, typ leaf) error {
	var err error
	if r.Name, err = p.required(name, start, label, "Name"); err != nil {
		return err
	}
	if !ops.set {
		return p.fail(start, label, "missing <Operations>")
	}
	switch ops.val {
	case "", "R", "W", "RW", "E":
		r.Operations = lwm2m.ParseOperations(ops.val)
	default:
		return p.fail(ops.line, label+" Operations", "%q is not one of R, W, RW, E or empty", ops.val)
	}
	if r.Multiple, err = p.choice(multi, start, label, "MultipleInstances", "Multiple", "Single"); err != nil {
		return err
	}
	if r.Mandatory, err = p.choice(mand, start, label, "Mandatory", "Mandatory", "Optional"); err != nil {
		return err
	}
	if r.Type, err = lwm2m.ParseType(typ.val); err != nil {
		return p.fail(typ.line, label, "Type %q is not an LwM2M data type", typ.val)
	}
	switch exec := r.Operations.Executable(); {
	case exec && r.Type != lwm2m.TypeNone:
		return p.fail(typ.line, label, "executable resource has Type %q; executable resources have an empty Type", typ.val)
	case !exec && r.Type == lwm2m.TypeNone:
		line := typ.line
		if !typ.set {
			line = start
		}
		what := "is empty"
		if typ.val != "" {
			what = fmt.Sprintf("%q means no type", typ.val)
		}
		return p.fail(line, label, "Type %s but Operations is %q; only executable resources have no type", what, ops.val)
	}
	return nil
}

// attr returns the value of the attribute with the given local name.
func attr(e xml.StartElement, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}
