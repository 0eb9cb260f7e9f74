package server

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

func (s *Server) deviceByID(id []byte) *device {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[string(id)]
}

// checkSame refuses an uplink for d from another identity with 4.03 and a
// security event.
func (s *Server) checkSame(d *device, p *coap.Peer, what string) error {
	if sameDevice(d, p) {
		return nil
	}
	d.mu.Lock()
	ep, want := d.reg.Endpoint, d.ident
	d.mu.Unlock()
	err := lwm2m.Errorf(lwm2m.CodeForbidden, "%s for %q from another identity", what, ep)
	s.security(SecurityEvent{Kind: "identity-mismatch", Endpoint: ep, Address: p.RemoteAddr(), Identity: p.Identity().String(),
		Reason: what + ": registered as " + want.String()})
	return err
}

func (s *Server) update(ctx context.Context, p *coap.Peer, req *coap.Message, id []byte) *coap.Message {
	d := s.deviceByID(id)
	if d == nil {
		return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "no registration %s", id))
	}
	if err := s.checkSame(d, p, "update"); err != nil {
		return statusResponse(err)
	}
	params, err := parseRegParams(req.Query(), false)
	if err != nil {
		return statusResponse(err)
	}
	var links linkformat.Registration
	hasLinks := len(req.Payload) > 0
	if hasLinks {
		if links, err = s.parseLinks(p, req); err != nil {
			return statusResponse(err)
		}
	}
	now := time.Now()
	var changed []string
	d.mu.Lock()
	if d.gone {
		d.mu.Unlock()
		return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "no registration %s", id))
	}
	r := &d.reg
	if params.hasVer && params.version != r.Version {
		v := r.Version
		d.mu.Unlock()
		return statusResponse(lwm2m.Errorf(lwm2m.CodeBadRequest,
			"query parameter lwm2m: an Update cannot change the LwM2M version (%s registered, %s given); register again", v, params.version))
	}
	if params.hasLt {
		r.Lifetime = params.lt
		changed = append(changed, "lt")
	}
	if params.hasB {
		r.Binding = params.binding
		r.QueueMode = queueMode(params.binding, params.queue || (r.QueueMode && r.Version != "1.0"))
		changed = append(changed, "b")
	}
	if params.queue && !r.QueueMode {
		r.QueueMode = true
		changed = append(changed, "Q")
	}
	if params.hasSMS {
		r.SMS = params.sms
		changed = append(changed, "sms")
	}
	if hasLinks {
		r.Objects, r.RootPath, r.ContentFormats = string(req.Payload), links.RootPath, links.ContentFormats
		d.objCT = objectFormats(links)
		changed = append(changed, "objects")
	}
	addr := p.RemoteAddr()
	addrChanged := d.peer != p || r.Address != addr
	oldAddr := r.Address
	if addrChanged {
		d.peer = p
		r.Address = addr
	}
	r.UpdatedAt, r.LastSeen, r.ExpiresAt = now, now, now.Add(r.Lifetime)
	u := Update{Registration: *r, Changed: changed, AddressChanged: addrChanged && oldAddr != r.Address}
	d.mu.Unlock()
	if addrChanged {
		p.SetValue(u.Registration.Endpoint)
		s.moveAddr(d, oldAddr, u.Registration)
	}
	s.per.saveRegistration(u.Registration.Endpoint, d)
	resp := coap.NewResponse(lwm2m.CodeChanged, nil)
	// As for Register: what listeners and the hold queue send in reply
	// must not overtake the 2.04.
	resp.AfterSend = func() {
		if s.listening {
			s.emitFor(d, func(l Listener) { l.Updated(u) })
		}
		s.heard(d)
	}
	return resp
}

// moveAddr re-indexes a plain-UDP device under its new address.
func (s *Server) moveAddr(d *device, old string, r Registration) {
	if r.Transport != "udp" {
		return
	}
	s.mu.Lock()
	if s.byAddr[old] == d {
		delete(s.byAddr, old)
	}
	s.byAddr[r.Address] = d
	s.mu.Unlock()
}

func (s *Server) deregister(p *coap.Peer, id []byte) *coap.Message {
	d := s.deviceByID(id)
	if d == nil {
		return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "no registration %s", id))
	}
	if err := s.checkSame(d, p, "de-registration"); err != nil {
		return statusResponse(err)
	}
	reg, ok := s.remove(d)
	if !ok {
		return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "no registration %s", id))
	}
	s.emitEnd(d, func(l Listener) { l.Deregistered(reg) })
	return coap.NewResponse(lwm2m.CodeDeleted, nil)
}

// remove ends a registration (de-registered or expired): indexes, stores,
// observations, held requests. It reports false when d was already gone.
func (s *Server) remove(d *device) (Registration, bool) {
	d.mu.Lock()
	if d.gone {
		d.mu.Unlock()
		return Registration{}, false
	}
	d.gone = true
	reg := d.reg
	obs := d.obs
	d.obs = nil
	d.mu.Unlock()
	s.mu.Lock()
	if s.byEP[reg.Endpoint] == d {
		delete(s.byEP, reg.Endpoint)
	}
	delete(s.byID, reg.ID)
	if s.byAddr[reg.Address] == d {
		delete(s.byAddr, reg.Address)
	}
	s.mu.Unlock()
	for _, o := range obs {
		o.forget()
	}
	s.per.deleteRegistration(reg.Endpoint)
	s.failHeld(reg.Endpoint, ErrNotRegistered)
	return reg, true
}
