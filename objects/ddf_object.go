package objects

import (
	"encoding/xml"
	"fmt"
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
)

// leaf is the trimmed text of a leaf element and where it was found.
type leaf struct {
	val  string
	line int
	set  bool
}

func objectLabel(index int, id uint16, known bool) string {
	if known {
		return fmt.Sprintf("Object[%d] (ID %d)", index, id)
	}
	return fmt.Sprintf("Object[%d]", index)
}

// readLeaf reads the leaf element just opened into f, refusing a repeat.
func (p *ddfParser) readLeaf(f *leaf, elem, label string) error {
	line := p.line()
	if f.set {
		return p.fail(line, label, "duplicate <%s> (first at line %d)", elem, f.line)
	}
	v, err := p.text(label + " " + elem)
	if err != nil {
		return err
	}
	*f = leaf{val: v, line: line, set: true}
	return nil
}

// object reads one <Object> whose start tag was just read; index is its
// 1-based position in the file.
func (p *ddfParser) object(index int) (lwm2m.ObjectModel, error) {
	var (
		m                                        lwm2m.ObjectModel
		start                                    = p.line()
		label                                    = objectLabel(index, 0, false)
		name, id, urn, lwv, ver, multi, mand, rs leaf
	)
	for {
		t, err := p.token(label)
		if err != nil {
			return m, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			var f *leaf
			switch t.Name.Local {
			case "Name":
				f = &name
			case "ObjectID":
				f = &id
			case "ObjectURN":
				f = &urn
			case "LWM2MVersion":
				f = &lwv
			case "ObjectVersion":
				f = &ver
			case "MultipleInstances":
				f = &multi
			case "Mandatory":
				f = &mand
			case "Resources":
				line := p.line()
				if rs.set {
					return m, p.fail(line, label, "duplicate <Resources> (first at line %d)", rs.line)
				}
				rs = leaf{line: line, set: true}
				if m.Resources, err = p.resources(&label); err != nil {
					return m, err
				}
				continue
			default:
				if err := p.skip(label); err != nil {
					return m, err
				}
				continue
			}
			if err := p.readLeaf(f, t.Name.Local, label); err != nil {
				return m, err
			}
			if f == &id {
				if m.ID, err = parseID(id.val); err != nil {
					return m, p.fail(id.line, label+" ObjectID", "%v", err)
				}
				label = objectLabel(index, m.ID, true)
			}
		case xml.EndElement:
			return m, p.finishObject(&m, start, label, name, id, urn, lwv, ver, multi, mand, rs)
		}
	}
}

// finishObject checks the object-level fields once </Object> is reached.
func (p *ddfParser) finishObject(m *lwm2m.ObjectModel, start int, label string,
	name, id, urn, lwv, ver, multi, mand, rs leaf) error {
	var err error
	if !id.set {
		return p.fail(start, label, "missing <ObjectID>")
	}
	if m.Name, err = p.required(name, start, label, "Name"); err != nil {
		return err
	}
	m.URN = urn.val
	if m.Version, err = p.version(ver, label, "ObjectVersion"); err != nil {
		return err
	}
	if m.LwM2MVersion, err = p.version(lwv, label, "LWM2MVersion"); err != nil {
		return err
	}
	if m.Multiple, err = p.choice(multi, start, label, "MultipleInstances", "Multiple", "Single"); err != nil {
		return err
	}
	if m.Mandatory, err = p.choice(mand, start, label, "Mandatory", "Mandatory", "Optional"); err != nil {
		return err
	}
	if !rs.set {
		return p.fail(start, label, "missing <Resources>")
	}
	if len(m.Resources) == 0 {
		return p.fail(rs.line, label+" Resources", "no <Item> element")
	}
	slices.SortFunc(m.Resources, func(a, b lwm2m.ResourceModel) int { return int(a.ID) - int(b.ID) })
	return nil
}

// required returns a leaf's text, which must be present and non-empty.
func (p *ddfParser) required(f leaf, start int, label, elem string) (string, error) {
	if !f.set {
		return "", p.fail(start, label, "missing <%s>", elem)
	}
	if f.val == "" {
		return "", p.fail(f.line, label+" "+elem, "is empty")
	}
	return f.val, nil
}

// version returns a version leaf's text, "1.0" when absent or empty.
func (p *ddfParser) version(f leaf, label, elem string) (string, error) {
	if f.val == "" {
		return defaultVersion, nil
	}
	if _, err := parseVersion(f.val); err != nil {
		return "", p.fail(f.line, label+" "+elem, "%v", err)
	}
	return f.val, nil
}

// choice reads a two-valued leaf: yes → true, no → false, anything else is
// an error. The spelling must match exactly (after trimming white space).
func (p *ddfParser) choice(f leaf, start int, label, elem, yes, no string) (bool, error) {
	if !f.set {
		return false, p.fail(start, label, "missing <%s>", elem)
	}
	switch f.val {
	case yes:
		return true, nil
	case no:
		return false, nil
	}
	return false, p.fail(f.line, label+" "+elem, "%q is neither %q nor %q", f.val, yes, no)
}

// parseID reads an object or resource id: decimal, 0..lwm2m.MaxID.
func parseID(s string) (uint16, error) {
	if s == "" {
		return 0, fmt.Errorf("id is empty")
	}
	if len(s) > 5 {
		return 0, fmt.Errorf("id %q is out of range 0..%d", s, lwm2m.MaxID)
	}
	var v uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("id %q is not a decimal number", s)
		}
		v = v*10 + uint32(c-'0')
	}
	switch {
	case v == 65535:
		return 0, fmt.Errorf("id 65535 is reserved (ids are 0..%d)", lwm2m.MaxID)
	case v > lwm2m.MaxID:
		return 0, fmt.Errorf("id %q is out of range 0..%d", s, lwm2m.MaxID)
	}
	return uint16(v), nil
}
