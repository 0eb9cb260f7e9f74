package server

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

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
		s.emitEnd(old, nil) // Registered below tells the end
		s.per.deleteObservations(ep)
	}
	s.per.saveRegistration(ep, d)
	s.log.Debug().Str("endpoint", ep).Str("id", reg.ID).Str("addr", reg.Address).Msg("server: registered")
	d.evMu.Lock()
	d.announce = func(l Listener) { l.Registered(reg, replaced) }
	d.evMu.Unlock()
	resp := coap.NewResponse(lwm2m.CodeCreated, nil)
	resp.SetLocationPath("rd", reg.ID)
	// Listeners answer Registered with requests (observe, read) and a
	// queue-mode device may have requests held: none may reach the device
	// before its 2.01, so both wait until the 2.01 is written.
	resp.AfterSend = func() {
		s.announce(d)
		s.heard(d)
	}
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
