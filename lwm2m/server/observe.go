package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// observation is one observation the server holds.
type observation struct {
	rec  Observation
	tok  coap.Token
	d    *device
	coap *coap.Observation
}

func (o *observation) forget() {
	o.d.mu.Lock()
	c := o.coap
	o.d.mu.Unlock()
	if c != nil {
		c.Forget()
	}
}

func newToken() coap.Token {
	var b [8]byte
	_, _ = rand.Read(b[:])
	t, _ := coap.TokenFromBytes(b[:])
	return t
}

func samePaths(a, b []lwm2m.Path) bool { return slices.Equal(a, b) }

// observe establishes an observation and records it when the device
// agrees (its first answer carries an Observe option).
func (s *Server) observe(ctx context.Context, d *device, peer *coap.Peer, req lwm2m.Request, pl plan) (lwm2m.Response, error) {
	composite := req.Op == lwm2m.OpObserveComposite
	paths := req.Paths
	if !composite {
		paths = []lwm2m.Path{req.Path}
	}
	d.mu.Lock()
	o := &observation{d: d, tok: newToken(), rec: Observation{
		Endpoint: d.reg.Endpoint, RegistrationID: d.reg.ID, Paths: slices.Clone(paths), Composite: composite,
		Format: pl.format, Attributes: req.Attributes, CreatedAt: time.Now(),
	}}
	d.mu.Unlock()
	o.rec.Token = o.tok.Bytes()
	pl.msg.Token = o.tok
	// Listed before the request goes out: a notification may overtake the
	// code that runs after the first answer.
	d.mu.Lock()
	if d.obs != nil {
		d.obs[o.tok] = o
	}
	d.mu.Unlock()
	unlist := func() {
		d.mu.Lock()
		if d.obs[o.tok] == o {
			delete(d.obs, o.tok)
		}
		d.mu.Unlock()
	}
	co, first, err := peer.Observe(ctx, pl.msg, s.notifyFunc(o))
	if err != nil {
		unlist()
		return lwm2m.Response{}, transportErr(o.rec.Endpoint, err)
	}
	s.heard(d)
	resp, derr := s.decode(req, pl, first)
	if co == nil {
		unlist()
		return resp, derr
	}
	d.mu.Lock()
	o.coap = co
	if d.gone {
		d.mu.Unlock()
		co.Forget()
		return resp, derr
	}
	var replaced []*observation
	for tok, old := range d.obs {
		if old != o && old.rec.Composite == composite && samePaths(old.rec.Paths, paths) {
			replaced = append(replaced, old)
			delete(d.obs, tok)
		}
	}
	d.mu.Unlock()
	for _, old := range replaced {
		old.forget()
		s.per.deleteObservation(old.rec.Endpoint, old.rec.Token)
	}
	s.per.saveObservation(o.rec)
	return resp, derr
}

// cancelObserve cancels the observation of req's path(s) actively (GET or
// FETCH with Observe=1 and the observation's token).
func (s *Server) cancelObserve(ctx context.Context, d *device, req lwm2m.Request, pl plan) (lwm2m.Response, error) {
	composite := req.Op == lwm2m.OpCancelObserveComposite
	paths := req.Paths
	if !composite {
		paths = []lwm2m.Path{req.Path}
	}
	d.mu.Lock()
	var o *observation
	var co *coap.Observation
	for tok, x := range d.obs {
		if x.rec.Composite == composite && samePaths(x.rec.Paths, paths) {
			o, co = x, x.coap
			delete(d.obs, tok)
			break
		}
	}
	ep := d.reg.Endpoint
	d.mu.Unlock()
	if o == nil {
		return lwm2m.Response{}, fmt.Errorf("%w: %s holds no observation of %v", ErrInvalidRequest, ep, paths)
	}
	s.per.deleteObservation(ep, o.rec.Token)
	if co == nil {
		return lwm2m.Response{}, fmt.Errorf("%s: %w", ep, ErrNotConnected)
	}
	m, err := co.Cancel(ctx)
	if err != nil {
		return lwm2m.Response{}, transportErr(ep, err)
	}
	pl.format = o.rec.Format
	return s.decode(req, pl, m)
}

// Observations returns the observations held on an endpoint.
func (s *Server) Observations(endpoint string) []Observation {
	d := s.device(endpoint)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Observation, 0, len(d.obs))
	for _, o := range d.obs {
		if o.coap != nil { // established, not just asked for
			out = append(out, o.rec)
		}
	}
	slices.SortFunc(out, func(a, b Observation) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// notifyFunc matches a notification to its observation. A notification
// from another identity than the registration's is refused (RST) with a
// security event; one from the device at a new address is accepted and the
// device's address follows.
func (s *Server) notifyFunc(o *observation) coap.NotifyFunc {
	return func(p *coap.Peer, m *coap.Message) bool {
		d := o.d
		d.mu.Lock()
		gone := d.gone || d.obs[o.tok] != o
		d.mu.Unlock()
		if gone {
			return false
		}
		if !sameDevice(d, p) {
			_ = s.checkSame(d, p, "notification")
			return false
		}
		s.follow(d, p)
		s.heard(d)
		if !m.Code.IsSuccess() {
			// An error notification ends the observation (RFC 7641 §3.2).
			s.dropObservation(d, o)
		}
		s.emitNotification(o, m)
		return true
	}
}

// follow makes p the way to reach d when the device spoke from a new
// address or session, and records the address.
func (s *Server) follow(d *device, p *coap.Peer) {
	addr := p.RemoteAddr() // a DTLS session's address moves with its connection ID
	d.mu.Lock()
	if d.gone || d.peer == p && d.reg.Address == addr {
		d.mu.Unlock()
		return
	}
	old := d.reg.Address
	d.peer = p
	d.reg.Address = addr
	reg := d.reg
	d.mu.Unlock()
	p.SetValue(reg.Endpoint)
	s.moveAddr(d, old, reg)
	s.per.saveRegistration(reg.Endpoint, d)
}

func (s *Server) dropObservation(d *device, o *observation) {
	d.mu.Lock()
	if d.obs[o.tok] == o {
		delete(d.obs, o.tok)
	}
	d.mu.Unlock()
	o.forget()
	s.per.deleteObservation(o.rec.Endpoint, o.rec.Token)
}

func (s *Server) emitNotification(o *observation, m *coap.Message) {
	now := time.Now()
	n := Notification{Endpoint: o.rec.Endpoint, Observation: o.rec, Format: m.ContentFormat(), ReceivedAt: now}
	n.Sequence, _ = m.Observe()
	f := n.Format
	if f == lwm2m.FormatNone {
		f = o.rec.Format
	}
	if len(m.Payload) > 0 && m.Code.IsSuccess() {
		var err error
		if o.rec.Composite {
			n.Records, err = s.cfg.Codecs.DecodeRecords(f, lwm2m.Root, m.Payload, s.cfg.Models)
		} else {
			n.Content, n.Records, err = s.decodeAt(f, o.rec.Paths[0], m.Payload)
			if n.Content != nil {
				n.Records = n.Content.Records(o.rec.Paths[0])
			}
		}
		if err != nil {
			s.security(SecurityEvent{Kind: "bad-request", Endpoint: o.rec.Endpoint, Reason: fmt.Sprintf("notification for %v: %v", o.rec.Paths, err)})
			return
		}
		stamp(n.Records, now)
	}
	s.ev.emit(func(l Listener) { l.Notification(n) })
}

// stamp gives untimestamped records the arrival time.
func stamp(recs []lwm2m.Record, t time.Time) {
	for i := range recs {
		if recs[i].Time.IsZero() {
			recs[i].Time = t
		}
	}
}

// reattach re-creates a stored observation after a restart.
func (s *Server) reattach(rec Observation) {
	d := s.device(rec.Endpoint)
	tok, err := coap.TokenFromBytes(rec.Token)
	if d == nil || err != nil || len(rec.Paths) == 0 {
		s.per.deleteObservation(rec.Endpoint, rec.Token)
		return
	}
	d.mu.Lock()
	if d.reg.ID != rec.RegistrationID {
		d.mu.Unlock()
		s.per.deleteObservation(rec.Endpoint, rec.Token)
		return
	}
	req := lwm2m.Request{Op: lwm2m.OpObserve, Path: rec.Paths[0], Format: rec.Format}
	if rec.Composite {
		req = lwm2m.Request{Op: lwm2m.OpObserveComposite, Paths: rec.Paths, Format: rec.Format}
	}
	pl, err := s.plan(d, &req)
	transport := d.reg.Transport
	d.mu.Unlock()
	ep := s.udp
	if transport == "dtls" {
		ep = s.dtls
	}
	if err != nil || ep == nil {
		s.per.deleteObservation(rec.Endpoint, rec.Token)
		return
	}
	o := &observation{rec: rec, tok: tok, d: d}
	pl.msg.SetObserve(0)
	co, err := ep.Attach(tok, pl.msg, s.notifyFunc(o))
	if err != nil {
		return
	}
	d.mu.Lock()
	o.coap = co
	d.obs[tok] = o
	d.mu.Unlock()
}

// unmatched handles notifications whose token the server does not know:
// they are reset so the device stops sending them.
func (s *Server) unmatched(p *coap.Peer, m *coap.Message) bool {
	s.log.Debug().Str("peer", p.String()).Str("token", m.Token.String()).Msg("server: notification for an unknown observation, resetting")
	return false
}
