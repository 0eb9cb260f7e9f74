package coap

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Peer is the other end of CoAP exchanges: a remote UDP address, or a DTLS
// session (whose address may change under connection ID). Send requests
// with Do, observe with Observe, send notifications with Notify. A Peer is
// safe for concurrent use.
type Peer struct {
	eng  *engine
	link link
	id   Identity
	// udp is set for plain-UDP peers so a forgotten peer can be re-found.
	udp *udpEndpoint

	value atomic.Value // user data, see SetValue

	mu        sync.Mutex
	mid       uint16
	pending   []*outMsg // our CON messages awaiting ACK
	recent    [recentSize]recentEntry
	recentPos uint8
	nonSent   [4]nonEntry
	nonPos    uint8
	rx        []*rxTransfer // incoming Block1 transfers
	tx        []*txBody     // bodies served in Block2 blocks
	calls     int           // our requests in flight
	slots     chan struct{} // NStart limiter, made on first use
	detached  bool          // a forgotten UDP peer; Do re-finds it
	closed    bool
	done      chan struct{}

	lastHeard atomic.Int64 // unix nanoseconds
}

const recentSize = 4

// recentEntry remembers one incoming message id and our answer to it.
type recentEntry struct {
	at    int64
	reply []byte
	mid   uint16
	used  bool
	done  bool
}

type nonEntry struct {
	tok Token
	mid uint16
}

func newPeer(e *engine, l link, id Identity) *Peer {
	p := &Peer{eng: e, link: l, id: id, mid: uint16(rand.Uint32()), done: make(chan struct{})}
	p.lastHeard.Store(time.Now().UnixNano())
	return p
}

// Identity returns what the DTLS handshake proved (Kind None over UDP).
func (p *Peer) Identity() Identity { return p.id }

// RemoteAddr returns the peer's current address as a string (it follows a
// DTLS session whose connection ID arrived from a new address).
func (p *Peer) RemoteAddr() string { return p.link.remote() }

// Secure reports whether the peer is a DTLS session.
func (p *Peer) Secure() bool { return p.id.Kind != IdentityNone }

// String returns the address and identity for logs.
func (p *Peer) String() string {
	if p.id.Kind == IdentityNone {
		return p.link.remote()
	}
	return p.link.remote() + " (" + p.id.String() + ")"
}

// LastHeard returns when the peer last sent us a datagram.
func (p *Peer) LastHeard() time.Time { return time.Unix(0, p.lastHeard.Load()) }

// SetValue attaches user data to the peer (the server keeps the endpoint
// name here); Value returns it.
func (p *Peer) SetValue(v any) { p.value.Store(&v) }

// Value returns what SetValue stored, or nil.
func (p *Peer) Value() any {
	if v, ok := p.value.Load().(*any); ok {
		return *v
	}
	return nil
}

// Done is closed when the peer's session ends (DTLS) or its endpoint shuts
// down.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Close ends the peer: a DTLS session is closed; a UDP peer forgets its
// exchange state. Requests in flight fail with ErrClosed.
func (p *Peer) Close() error {
	p.shutdown()
	return p.link.close()
}

func (p *Peer) shutdown() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	pending := p.pending
	p.pending = nil
	for _, t := range p.rx {
		p.eng.rxBytes.Add(-int64(len(t.buf)))
	}
	p.rx, p.tx = nil, nil
	close(p.done)
	p.mu.Unlock()
	for _, o := range pending {
		o.finish(p, nil, ErrClosed)
	}
}

func (p *Peer) heard() { p.lastHeard.Store(time.Now().UnixNano()) }

func (p *Peer) nextMID() uint16 {
	p.mu.Lock()
	p.mid++
	m := p.mid
	p.mu.Unlock()
	return m
}

func (p *Peer) write(b []byte) {
	if err := p.link.write(b); err != nil {
		p.eng.log.Debug().Err(err).Str("peer", p.String()).Msg("coap: write failed")
	}
}

// reply sends an answer produced while handling a received datagram:
// queued on sink to leave with the batch when the link allows, else now.
func (p *Peer) reply(sink *batchIO, b []byte) {
	if sink != nil {
		if bl, ok := p.link.(batchLink); ok {
			if to, rec, err := bl.frame(b); err == nil {
				sink.queue(to, rec)
				return
			}
		}
	}
	p.write(b)
}

// replyThen sends b like reply and runs after once it is written: with
// the batch when b joins one, else at once.
func (p *Peer) replyThen(sink *batchIO, b []byte, after func()) {
	if sink != nil && b != nil {
		if bl, ok := p.link.(batchLink); ok {
			if to, rec, err := bl.frame(b); err == nil {
				sink.queue(to, rec)
				sink.afterFlush(after)
				return
			}
		}
	}
	if b != nil {
		p.write(b)
	}
	after()
}

// batchLink is a link whose datagrams can join a batch write: frame
// returns the destination and the bytes to send (sealed, for DTLS).
type batchLink interface {
	frame(b []byte) (*net.UDPAddr, []byte, error)
}

// dedupBegin records an incoming message id. When the id was seen within
// the exchange lifetime it reports a duplicate and returns the answer sent
// then (nil while the first copy is still being handled).
func (p *Peer) dedupBegin(mid uint16) ([]byte, bool) {
	now := time.Now().UnixNano()
	life := int64(p.eng.cfg.ExchangeLifetime)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.recent {
		r := &p.recent[i]
		if r.used && r.mid == mid && now-r.at < life {
			return r.reply, true
		}
	}
	r := &p.recent[p.recentPos%recentSize]
	p.recentPos++
	*r = recentEntry{at: now, mid: mid, used: true}
	return nil, false
}

// dedupEnd stores the answer to mid for retransmitted copies.
func (p *Peer) dedupEnd(mid uint16, reply []byte) {
	p.mu.Lock()
	for i := range p.recent {
		r := &p.recent[i]
		if r.used && r.mid == mid && !r.done {
			r.reply, r.done = reply, true
			break
		}
	}
	p.mu.Unlock()
}

func (p *Peer) rememberNon(mid uint16, tok Token) {
	p.mu.Lock()
	p.nonSent[p.nonPos%uint8(len(p.nonSent))] = nonEntry{tok: tok, mid: mid}
	p.nonPos++
	p.mu.Unlock()
}

func (p *Peer) takeNonSent(mid uint16) (Token, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.nonSent {
		if n := &p.nonSent[i]; n.tok.n > 0 && n.mid == mid {
			t := n.tok
			*n = nonEntry{}
			return t, true
		}
	}
	return Token{}, false
}

// idle reports whether a UDP peer can be forgotten.
func (p *Peer) idle(now time.Time, after time.Duration) bool {
	if now.UnixNano()-p.lastHeard.Load() < int64(after) {
		return false
	}
	return len(p.pending) == 0 && p.calls == 0 && len(p.rx) == 0
}

// expire drops de-duplication entries and block-wise state older than the
// exchange lifetime so idle peers hold little memory.
func (p *Peer) expire(now time.Time) {
	life := int64(p.eng.cfg.ExchangeLifetime)
	n := now.UnixNano()
	p.mu.Lock()
	for i := range p.recent {
		if r := &p.recent[i]; r.used && n-r.at >= life {
			*r = recentEntry{}
		}
	}
	p.rx = p.eng.expireTransfers(p.rx, now)
	p.tx = expireBodies(p.tx, now)
	p.mu.Unlock()
}

// addrString formats a net.Addr, tolerating nil.
func addrString(a net.Addr) string {
	if a == nil {
		return "?"
	}
	return a.String()
}
