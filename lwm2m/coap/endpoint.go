package coap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
)

// Endpoint is a listening CoAP endpoint: plain UDP (ListenUDP) or DTLS 1.2
// (ListenDTLS). Serve runs it until its context ends.
type Endpoint struct {
	eng  *engine
	conn *net.UDPConn
	udp  *udpEndpoint // plain UDP only
	mux  *dtlsMux     // DTLS only
	dcfg DTLSConfig
	// pionLog is the one logger every DTLS session shares.
	pionLog *pionLogger

	mu       sync.Mutex
	sessions map[*Peer]struct{}
	served   bool
}

// ListenUDP binds a plain CoAP endpoint. network is "udp", "udp4" or
// "udp6"; addr is "host:port" (port 0 picks one).
func ListenUDP(network, addr string, cfg Config) (*Endpoint, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := listen(network, addr)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{eng: newEngine(cfg), conn: conn}
	e.udp = newUDPEndpoint(e.eng, conn, true)
	return e, nil
}

// ListenDTLS binds a CoAP-over-DTLS endpoint.
func ListenDTLS(network, addr string, cfg Config, dcfg DTLSConfig) (*Endpoint, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := dcfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := listen(network, addr)
	if err != nil {
		return nil, err
	}
	cidLen := 8
	if dcfg.DisableConnectionID {
		cidLen = 0
	}
	e := &Endpoint{eng: newEngine(cfg), conn: conn, dcfg: dcfg, sessions: make(map[*Peer]struct{}), pionLog: &pionLogger{log: cfg.Logger}}
	e.mux = newDTLSMux(conn, cidLen, dcfg.MaxHandshakes, dcfg.CookieTimeout)
	e.mux.hsSlots = make(chan struct{}, dcfg.ConcurrentHandshakes)
	if dcfg.OnHandshakeFailed != nil {
		e.mux.onRefused = func(a netip.AddrPort, why string) { dcfg.OnHandshakeFailed(a.String(), errors.New(why)) }
	}
	return e, nil
}

func listen(network, addr string) (*net.UDPConn, error) {
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		return nil, fmt.Errorf("coap: listen %s: %w", addr, err)
	}
	conn, err := net.ListenUDP(network, ua)
	if err != nil {
		return nil, fmt.Errorf("coap: listen %s: %w", addr, err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(4 << 20)
	return conn, nil
}

// Addr returns the bound address.
func (e *Endpoint) Addr() net.Addr { return e.conn.LocalAddr() }

// Secure reports whether this is a DTLS endpoint.
func (e *Endpoint) Secure() bool { return e.mux != nil }

// Serve runs the endpoint until ctx ends, then closes the socket, ends
// every session, fails requests in flight with ErrClosed and returns once
// its goroutines have finished. It can be called once.
func (e *Endpoint) Serve(ctx context.Context) error {
	e.mu.Lock()
	if e.served {
		e.mu.Unlock()
		return errors.New("coap: Serve called twice")
	}
	e.served = true
	e.mu.Unlock()

	var wg sync.WaitGroup
	if e.udp != nil {
		for range e.eng.cfg.Readers {
			wg.Go(e.udp.read)
		}
	} else {
		// Application data is handled on the reading goroutine (the lean
		// record layer), so several read the socket.
		for range e.eng.cfg.Readers {
			wg.Go(e.mux.run)
		}
		wg.Go(func() { e.acceptLoop(ctx, &wg) })
	}
	wg.Go(func() { e.janitor(ctx) })

	<-ctx.Done()
	_ = e.conn.Close()
	e.eng.cancel()
	e.eachPeer(func(p *Peer) { p.shutdown() })
	wg.Wait()
	e.eng.bg.Wait()
	return nil
}

func (e *Endpoint) janitor(ctx context.Context) {
	every := min(e.eng.cfg.PeerIdleTimeout/4, 30*time.Second)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if e.udp != nil {
				e.udp.sweep(now)
			} else {
				e.eachPeer(func(p *Peer) { p.expire(now) })
			}
		}
	}
}

func (e *Endpoint) eachPeer(f func(*Peer)) {
	if e.udp != nil {
		e.udp.each(f)
		return
	}
	e.mu.Lock()
	ps := make([]*Peer, 0, len(e.sessions))
	for p := range e.sessions {
		ps = append(ps, p)
	}
	e.mu.Unlock()
	for _, p := range ps {
		f(p)
	}
}

// acceptLoop runs one handshake goroutine per new DTLS conn; after the
// handshake the same goroutine reads the session.
func (e *Endpoint) acceptLoop(ctx context.Context, wg *sync.WaitGroup) {
	for mc := range e.mux.accept {
		wg.Go(func() { e.session(ctx, mc) })
	}
}

func (e *Endpoint) session(ctx context.Context, mc *muxConn) {
	fail := func(err error) {
		if id := mc.pskIdentity.Load(); id != nil {
			err = &HandshakeError{PSKIdentity: *id, Err: err}
		}
		e.mux.handshakeDone(mc)
		_ = mc.Close()
		if e.dcfg.OnHandshakeFailed != nil && ctx.Err() == nil {
			e.dcfg.OnHandshakeFailed(mc.first.String(), err)
		}
		e.eng.log.Debug().Err(err).Str("addr", mc.first.String()).Msg("coap: dtls handshake failed")
	}
	conn, err := dtls.ServerWithOptions(mc, net.UDPAddrFromAddrPort(mc.first), e.dcfg.serverOptions(e.mux, mc, e.pionLog)...)
	if err != nil {
		fail(err)
		return
	}
	hctx, cancel := context.WithTimeout(ctx, e.dcfg.HandshakeTimeout)
	err = conn.HandshakeContext(hctx)
	cancel()
	if err != nil {
		_ = conn.Close()
		fail(err)
		return
	}
	e.mux.handshakeDone(mc)
	id, err := sessionIdentity(conn)
	if err != nil {
		_ = conn.Close()
		fail(err)
		return
	}
	fs, err := newFastSession(conn, e.mux, mc)
	if err != nil {
		// A suite without a lean record layer (CBC): pion keeps the
		// session and this goroutine reads it.
		p := newPeer(e.eng, &dtlsLink{conn: conn}, id)
		e.track(p, true)
		serveSession(ctx, e.eng, p, conn)
		e.track(p, false)
		return
	}
	p := newPeer(e.eng, fs, id)
	fs.peer = p
	fs.onClose = func() { e.track(p, false) }
	e.track(p, true)
	mc.fast.Store(fs)
	fs.detachAfter(time.Minute)
	e.eng.log.Debug().Str("peer", p.String()).Msg("coap: dtls session established")
	// Application data pion decrypted before the switch is still served;
	// this ends when pion is detached, and with it pion's goroutines.
	buf := make([]byte, 2048)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return
		}
		e.eng.receive(p, append([]byte(nil), buf[:n]...))
		fs.detach() // application data: both sides are done with the handshake
	}
}

// track adds or removes a live session.
func (e *Endpoint) track(p *Peer, live bool) {
	e.mu.Lock()
	if live {
		e.sessions[p] = struct{}{}
	} else {
		delete(e.sessions, p)
	}
	e.mu.Unlock()
}

// PeerByAddr returns the peer at a "host:port" address: for UDP the peer
// for that address (created if needed, so a server can reach a device it
// knows from storage); for DTLS the session currently at that address.
func (e *Endpoint) PeerByAddr(addr string) (*Peer, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("coap: peer address %q: %w", addr, err)
	}
	if e.udp != nil {
		return e.udp.peerFor(ap), nil
	}
	var found *Peer
	e.eachPeer(func(p *Peer) {
		if p.RemoteAddr() == ap.String() {
			found = p
		}
	})
	if found == nil {
		return nil, fmt.Errorf("%w: no DTLS session at %s", ErrClosed, addr)
	}
	return found, nil
}

// Sessions calls f for every live DTLS session (or known UDP peer). A
// peer whose Done is closed is left out even while its session is still
// being taken off the list.
func (e *Endpoint) Sessions(f func(*Peer)) {
	e.eachPeer(func(p *Peer) {
		select {
		case <-p.done:
		default:
			f(p)
		}
	})
}

// Attach re-creates an observation we hold under a known token (after a
// restart, from storage) so its notifications reach fn again. req is the
// original observe request (its path is used to fetch blocks).
func (e *Endpoint) Attach(tok Token, req *Message, fn NotifyFunc) (*Observation, error) {
	r := req.Clone()
	r.Token = tok
	return e.eng.attach(r, fn)
}
