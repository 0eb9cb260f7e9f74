package server

import (
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// device is the runtime state of one registered endpoint.
type device struct {
	mu  sync.Mutex
	reg Registration
	// objCT holds the content formats announced per object (ct on an
	// object link, LwM2M 1.2); nil when none were.
	objCT map[uint16][]lwm2m.ContentFormat
	// peer is how to reach the device: its UDP address or DTLS session.
	// Nil after a restart until a DTLS device connects again.
	peer  *coap.Peer
	ident coap.Identity
	obs   map[coap.Token]*observation
	// Queue mode: awake until awakeUntil; draining while held requests go
	// out.
	awakeUntil time.Time
	awake      bool
	draining   bool
	// gone is set when the registration ended (deregistered, expired or
	// replaced): requests for it fail, held ones are failed or moved.
	gone bool
	// evMu orders the registration's events against its end: once the
	// end (Deregistered, Expired, or a replacing Register) went out,
	// ended is set and later events of this registration are dropped.
	evMu  sync.Mutex
	ended bool
	// announce is the Registered event of this registration until it
	// went out: it waits for the 2.01 to be written (see register), and
	// goes out first should another event of the registration come
	// sooner, so listeners always hear of a registration before the rest.
	announce func(Listener)
}

// emitFor emits a presence event of d's registration (Updated, Awake,
// Asleep) unless its end went out already. Requests of one device are
// served by several readers at once, so an Update handled alongside the
// De-register would otherwise reach the Listener after Deregistered and
// make the device look alive again. Notifications and Sends carry data
// and are emitted regardless. It reports whether the event went out.
func (s *Server) emitFor(d *device, f func(Listener)) bool {
	d.evMu.Lock()
	defer d.evMu.Unlock()
	if d.ended {
		return false
	}
	s.announceLocked(d)
	s.ev.emit(f)
	return true
}

// announce emits d's Registered event unless it went out already.
func (s *Server) announce(d *device) {
	d.evMu.Lock()
	s.announceLocked(d)
	d.evMu.Unlock()
}

func (s *Server) announceLocked(d *device) {
	if f := d.announce; f != nil {
		d.announce = nil
		s.ev.emit(f)
	}
}

// emitEnd emits the end of d's registration (f nil: the end is told by
// another event, a replacing Registered); nothing of it follows.
func (s *Server) emitEnd(d *device, f func(Listener)) {
	d.evMu.Lock()
	defer d.evMu.Unlock()
	s.announceLocked(d)
	d.ended = true
	if f != nil {
		s.ev.emit(f)
	}
}

// snapshot returns a copy of the registration. A DTLS device's address
// is read from its session, which follows the device under connection ID
// (pion records a new address only after it hands over the datagram that
// came from it, so the copy in reg may lag by one message).
func (d *device) snapshot() Registration {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.reg
	if d.peer != nil && d.peer.Secure() {
		r.Address = d.peer.RemoteAddr()
	}
	return r
}

// objectFormats extracts the per-object ct of registration links.
func objectFormats(links linkformat.Registration) map[uint16][]lwm2m.ContentFormat {
	var m map[uint16][]lwm2m.ContentFormat
	for _, o := range links.Objects {
		if o.Path.IsObject() && len(o.ContentFormats) > 0 {
			if m == nil {
				m = map[uint16][]lwm2m.ContentFormat{}
			}
			m[o.Path.Object()] = o.ContentFormats
		}
	}
	return m
}

// endpointOf reads the endpoint a peer registered as, if it did.
func endpointOf(p *coap.Peer) (string, bool) {
	ep, ok := p.Value().(string)
	return ep, ok
}
