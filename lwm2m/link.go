package lwm2m

// Link is one CoRE link (RFC 6690): a target and its parameters, as found in
// registration payloads and Discover answers. Parsing and formatting live in
// the linkformat codec; this is the shared shape.
type Link struct {
	Target string      `json:"target"`           // the URI between < and >, e.g. "/3/0"
	Params []LinkParam `json:"params,omitempty"` // in order of appearance
}

// LinkParam is one link parameter. Value is unquoted; HasValue is false for a
// bare parameter such as ";obs".
type LinkParam struct {
	Name     string `json:"name"`
	Value    string `json:"value,omitempty"`
	HasValue bool   `json:"has_value"`
}

// Param returns the value of the first parameter called name.
func (l *Link) Param(name string) (string, bool) {
	for _, p := range l.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// Path parses the target as an LwM2M path.
func (l *Link) Path() (Path, error) { return ParsePath(l.Target) }

// Attributes returns the notification attributes among the parameters;
// other parameters (ver, dim, ct, rt, …) are ignored.
func (l *Link) Attributes() (Attributes, error) {
	var a Attributes
	for _, p := range l.Params {
		if !isAttrName(p.Name) || !p.HasValue {
			continue
		}
		if err := a.Set(p.Name, p.Value, true); err != nil {
			return Attributes{}, err
		}
	}
	return a, nil
}
