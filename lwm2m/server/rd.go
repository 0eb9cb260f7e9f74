package server

import (
	"context"
	"errors"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// serveCoAP routes uplink requests: /rd (Register, Update, De-register),
// /dp (Send) and /bs (bootstrap, when configured).
func (s *Server) serveCoAP(ctx context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	// Routed on the option bytes: Updates are the hottest messages.
	n := req.PathLen()
	first, _ := req.PathSegment(0)
	switch {
	case n == 1 && string(first) == "rd":
		if req.Code != coap.POST {
			return methodNotAllowed(req)
		}
		return s.register(ctx, p, req)
	case n == 2 && string(first) == "rd":
		id, _ := req.PathSegment(1)
		switch req.Code {
		case coap.POST:
			return s.update(ctx, p, req, id)
		case coap.DELETE:
			return s.deregister(p, id)
		}
		return methodNotAllowed(req)
	case n == 1 && string(first) == "dp":
		if req.Code != coap.POST {
			return methodNotAllowed(req)
		}
		return s.send(p, req)
	case n >= 1 && string(first) == "bs" && s.cfg.Bootstrap != nil:
		return s.cfg.Bootstrap.ServeCoAP(ctx, p, req)
	}
	return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "no resource %s", req.PathString()))
}

func methodNotAllowed(req *coap.Message) *coap.Message {
	return statusResponse(lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s is not allowed on %s", coap.MethodName(req.Code), req.PathString()))
}

// statusResponse turns an error into a response with a diagnostic payload:
// a *lwm2m.Status keeps its code, anything else is 5.00.
func statusResponse(err error) *coap.Message {
	var st *lwm2m.Status
	if !errors.As(err, &st) {
		st = &lwm2m.Status{Code: lwm2m.CodeInternalServerError, Reason: err.Error()}
	}
	m := coap.NewResponse(st.Code, []byte(st.Reason))
	if st.Reason != "" {
		m.SetContentFormat(lwm2m.FormatText)
	}
	return m
}

// parseLinks reads a Register or Update payload (link-format or no
// Content-Format; anything else is 4.15).
func (s *Server) parseLinks(p *coap.Peer, req *coap.Message) (linkformat.Registration, error) {
	if cf := req.ContentFormat(); cf != lwm2m.FormatNone && cf != lwm2m.FormatLinkFormat {
		return linkformat.Registration{}, lwm2m.Errorf(lwm2m.CodeUnsupportedContentFormat, "registration payload must be link-format (40), not %s", cf)
	}
	links, err := linkformat.ParseRegistration(req.Payload)
	if err != nil {
		s.security(SecurityEvent{Kind: "bad-request", Address: p.RemoteAddr(), Identity: p.Identity().String(), Reason: err.Error()})
		return links, lwm2m.Errorf(lwm2m.CodeBadRequest, "object links: %v", err)
	}
	return links, nil
}

func (s *Server) register(ctx context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	params, err := parseRegParams(req.Query(), true)
	if err != nil {
		return statusResponse(err)
	}
	links, err := s.parseLinks(p, req)
	if err != nil {
		return statusResponse(err)
	}
	ep := params.ep
	if ep == "" {
		if p.Identity().Kind == coap.IdentityNone {
			return statusResponse(lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter ep is missing"))
		}
		// LwM2M 1.2: the endpoint name may be left to the credentials.
		if ep, err = s.boundEndpoint(ctx, p.Identity()); err != nil || ep == "" {
			return statusResponse(lwm2m.Errorf(lwm2m.CodeBadRequest, "query parameter ep is missing and the credentials name no endpoint"))
		}
	}
	mode, identity, err := s.admit(ctx, p, ep)
	if err != nil {
		return statusResponse(err)
	}
	now := time.Now()
	lt := s.cfg.DefaultLifetime
	if params.hasLt {
		lt = params.lt
	}
	transport := "udp"
	if p.Secure() {
		transport = "dtls"
	}
	reg := Registration{
		Endpoint: ep, ID: newRegistrationID(), Lifetime: lt, Version: params.version,
		Binding: params.binding, QueueMode: queueMode(params.binding, params.queue), SMS: params.sms,
		RootPath: links.RootPath, ContentFormats: links.ContentFormats, Objects: string(req.Payload),
		Address: p.RemoteAddr(), Transport: transport, Security: mode, Identity: identity,
		RegisteredAt: now, UpdatedAt: now, LastSeen: now, ExpiresAt: now.Add(lt),
	}
	if reg.Binding == "" {
		reg.Binding = "U"
	}
	d := &device{reg: reg, objCT: objectFormats(links), peer: p, ident: p.Identity(), obs: map[coap.Token]*observation{}}
	p.SetValue(ep)

	s.mu.Lock()
	old := s.byEP[ep]
	if old != nil {
		delete(s.byID, old.reg.ID)
		if s.byAddr[old.reg.Address] == old {
			delete(s.byAddr, old.reg.Address)
		}
	}
	s.byEP[ep], s.byID[reg.ID] = d, d
	if transport == "udp" {
		s.byAddr[reg.Address] = d
	}
	s.mu.Unlock()

	var replaced *Registration
	if old != nil {
		r := s.retire(old, p)
		replaced = &r
		s.per.deleteObservations(ep)
	}
	s.per.saveRegistration(ep, d)
	s.log.Debug().Str("endpoint", ep).Str("id", reg.ID).Str("addr", reg.Address).Msg("server: registered")
	s.ev.emit(func(l Listener) { l.Registered(reg, replaced) })
	s.heard(d)
	resp := coap.NewResponse(lwm2m.CodeCreated, nil)
	resp.SetLocationPath("rd", reg.ID)
	return resp
}

// retire ends a registration replaced by a new Register: its observations
// are forgotten (the device dropped them too) and, when it came over
// another DTLS session, that session is closed.
func (s *Server) retire(old *device, newPeer *coap.Peer) Registration {
	old.mu.Lock()
	old.gone = true
	obs := old.obs
	old.obs = nil
	oldPeer := old.peer
	reg := old.reg
	old.mu.Unlock()
	for _, o := range obs {
		o.forget()
	}
	if oldPeer != nil && oldPeer != newPeer && oldPeer.Secure() {
		_ = oldPeer.Close()
	}
	return reg
}

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
	if s.listening {
		s.ev.emit(func(l Listener) { l.Updated(u) })
	}
	s.heard(d)
	return coap.NewResponse(lwm2m.CodeChanged, nil)
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
	s.ev.emit(func(l Listener) { l.Deregistered(reg) })
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
