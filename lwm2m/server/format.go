package server

import (
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
)

// preference orders the formats the server picks from what a device
// announced: compact binary first.
var preference = []lwm2m.ContentFormat{
	lwm2m.FormatSenMLCBOR, lwm2m.FormatLwM2MCBOR, lwm2m.FormatSenMLJSON, lwm2m.FormatTLV,
	lwm2m.FormatLwM2MJSON, lwm2m.FormatLegacyTLV, lwm2m.FormatLegacyJSON,
	lwm2m.FormatText, lwm2m.FormatOpaque, lwm2m.FormatCBOR,
}

// fits reports whether format f can carry the content of op at path p.
func fits(f lwm2m.ContentFormat, op lwm2m.Operation, p lwm2m.Path) bool {
	if op.IsComposite() {
		return f == lwm2m.FormatSenMLCBOR || f == lwm2m.FormatSenMLJSON || f == lwm2m.FormatLwM2MCBOR
	}
	switch f {
	case lwm2m.FormatText, lwm2m.FormatOpaque, lwm2m.FormatCBOR:
		return p.Len() >= 3 && op != lwm2m.OpCreate
	}
	return true
}

// announced returns the formats the device announced for the object at
// p (an object link's ct), else for the device (the root link's ct).
func (d *device) announced(p lwm2m.Path) []lwm2m.ContentFormat {
	if p.Len() > 0 {
		if cts, ok := d.objCT[p.Object()]; ok {
			return cts
		}
	}
	return d.reg.ContentFormats
}

// chooseFormat picks the content format of a request to d (d.mu held):
// the caller's when the device can take it; else the best the device
// announced; else SenML CBOR for 1.1 and later, TLV for 1.0 — except a
// single value of a 1.0 device that announced nothing (see
// singleValueFormat).
func (s *Server) chooseFormat(d *device, req *lwm2m.Request) lwm2m.ContentFormat {
	ann := d.announced(req.Path)
	ok := func(f lwm2m.ContentFormat) bool {
		return s.cfg.Codecs.Has(f) && fits(f, req.Op, req.Path)
	}
	if f := req.Format; f != lwm2m.FormatNone && ok(f) {
		basic := f == lwm2m.FormatText || f == lwm2m.FormatOpaque // every client reads these
		if len(ann) == 0 || basic || slices.Contains(ann, f) {
			return f
		}
	}
	for _, f := range preference {
		if slices.Contains(ann, f) && ok(f) {
			return f
		}
	}
	if d.reg.Version == "1.0" && !req.Op.IsComposite() {
		if len(ann) == 0 {
			if f, ok := s.singleValueFormat(req); ok {
				return f
			}
		}
		return lwm2m.FormatTLV
	}
	return lwm2m.FormatSenMLCBOR
}

// singleValueFormat is the format for reading, observing or writing one
// value of a 1.0 device that announced no formats: plain text (opaque for
// an opaque resource). TS 1.0 makes TLV mandatory for every request, but
// plain text for single resources is what 1.0 clients implemented first
// and what some only implement (lwm2m-node-lib 1.4 knows no TLV, and its
// CoAP stack silently drops any request whose Accept or Content-Format it
// does not know); Leshan 1.x sends no Accept at all for such reads. A
// resource the models do not know, or know as multiple-instance, keeps
// TLV: text cannot carry several instances.
func (s *Server) singleValueFormat(req *lwm2m.Request) (lwm2m.ContentFormat, bool) {
	switch req.Op {
	case lwm2m.OpRead, lwm2m.OpObserve, lwm2m.OpCancelObserve, lwm2m.OpWrite:
	default:
		return lwm2m.FormatNone, false
	}
	if req.Path.Len() < 3 {
		return lwm2m.FormatNone, false
	}
	rm, ok := lwm2m.ResourceModelAt(s.cfg.Models, req.Path)
	if !ok || (rm.Multiple && req.Path.Len() == 3) {
		return lwm2m.FormatNone, false
	}
	f := lwm2m.FormatText
	if rm.Type == lwm2m.TypeOpaque {
		f = lwm2m.FormatOpaque
	}
	if !s.cfg.Codecs.Has(f) {
		return lwm2m.FormatNone, false
	}
	return f, true
}
