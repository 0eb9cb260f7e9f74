package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// tree prints the nodes at paths (every object when none) with the
// models' names, values and units.
func (k *Console) tree(c *client.Client, paths []lwm2m.Path) error {
	if len(paths) == 0 {
		for _, id := range c.Objects() {
			paths = append(paths, lwm2m.ObjectPath(id))
		}
	}
	var b strings.Builder
	for _, p := range paths {
		n, err := c.Read(p)
		if err != nil {
			return err
		}
		k.render(&b, p, &n, 0)
	}
	k.printf("%s", b.String())
	return nil
}

// render writes node n at path p and its children, indented by depth.
func (k *Console) render(b *strings.Builder, p lwm2m.Path, n *lwm2m.Node, depth int) {
	indent := strings.Repeat("  ", depth)
	switch n.Kind {
	case lwm2m.KindObject:
		name := ""
		if om, ok := k.models.Object(p.Object(), ""); ok {
			name = " " + om.Name
		}
		fmt.Fprintf(b, "%s%s%s\n", indent, p, name)
	case lwm2m.KindInstance:
		fmt.Fprintf(b, "%s%s\n", indent, p)
	case lwm2m.KindResource, lwm2m.KindMultipleResource:
		name, units := "", ""
		if rm, ok := lwm2m.ResourceModelAt(k.models, p); ok {
			name = " " + rm.Name
			if rm.Units != "" {
				units = " " + rm.Units
			}
		}
		if n.Kind == lwm2m.KindResource {
			fmt.Fprintf(b, "%s%s%s = %s%s\n", indent, p, name, display(n.Value), units)
			return
		}
		fmt.Fprintf(b, "%s%s%s%s\n", indent, p, name, units)
	case lwm2m.KindResourceInstance:
		fmt.Fprintf(b, "%s%s = %s\n", indent, p, display(n.Value))
		return
	}
	for i := range n.Children {
		ch := &n.Children[i]
		k.render(b, p.Child(ch.ID), ch, depth+1)
	}
}

// display shows a value for people: strings quoted, times in RFC 3339.
func display(v lwm2m.Value) string {
	switch v.Type() {
	case lwm2m.TypeString:
		return strconv.Quote(v.Str())
	case lwm2m.TypeTime:
		return v.Time().UTC().Format(time.RFC3339)
	}
	return v.String()
}

// formatAttributes shows written attributes as a query string.
func formatAttributes(a lwm2m.Attributes) string {
	q := a.Query()
	if len(q) == 0 {
		return "(none)"
	}
	return strings.Join(q, "&")
}
