package server

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// deviceForPeer finds the registration an uplink without a registration
// id (Send) belongs to: by the endpoint the peer registered as, by a
// plain-UDP address, or by a DTLS identity's bound endpoint (a device
// whose session is new since the server restarted).
func (s *Server) deviceForPeer(p *coap.Peer) *device {
	if ep, ok := endpointOf(p); ok {
		if d := s.device(ep); d != nil {
			return d
		}
	}
	if !p.Secure() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.byAddr[p.RemoteAddr()]
	}
	if ep, err := s.boundEndpoint(s.ctx, p.Identity()); err == nil {
		return s.device(ep)
	}
	return nil
}

// send handles the Send operation (POST /dp): timestamped values in SenML
// JSON or CBOR or LwM2M CBOR from a registered device.
func (s *Server) send(p *coap.Peer, req *coap.Message) *coap.Message {
	d := s.deviceForPeer(p)
	if d == nil {
		return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "Send from %s, which is not registered", p.RemoteAddr()))
	}
	if err := s.checkSame(d, p, "send"); err != nil {
		return statusResponse(err)
	}
	f := req.ContentFormat()
	switch f {
	case lwm2m.FormatSenMLJSON, lwm2m.FormatSenMLCBOR, lwm2m.FormatLwM2MCBOR:
	default:
		return statusResponse(lwm2m.Errorf(lwm2m.CodeUnsupportedContentFormat, "Send needs SenML JSON (110), SenML CBOR (112) or LwM2M CBOR (11544), not %s", f))
	}
	recs, err := s.cfg.Codecs.DecodeRecords(f, lwm2m.Root, req.Payload, s.cfg.Models)
	ep := d.snapshot().Endpoint
	if err != nil {
		s.security(SecurityEvent{Kind: "bad-request", Endpoint: ep, Address: p.RemoteAddr(), Identity: p.Identity().String(), Reason: "send: " + err.Error()})
		return statusResponse(lwm2m.Errorf(lwm2m.CodeBadRequest, "send payload: %v", err))
	}
	now := time.Now()
	stamp(recs, now)
	s.follow(d, p)
	s.heard(d)
	ev := SendEvent{Endpoint: ep, Format: f, Records: recs, ReceivedAt: now}
	s.ev.emit(func(l Listener) { l.Sent(ev) })
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}
