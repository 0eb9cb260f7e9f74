package coap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// outMsg is one of our confirmable messages awaiting an ACK: a request
// (call set) or a notification (done set).
type outMsg struct {
	mid   uint16
	data  []byte
	tok   Token
	tries int
	wait  time.Duration
	timer *time.Timer
	call  *call
	done  chan error
}

// call is one request of ours waiting for its response.
type call struct {
	peer *Peer
	ch   chan callResult
	out  *outMsg
	// mid is the request's message id; cancelObs marks a confirmable
	// deregistration (Observe=1), whose answer is told apart from
	// notifications on the same token (see answeredBy). sepAcked is set
	// when an empty ACK said a separate response will follow.
	mid       uint16
	cancelObs bool
	sepAcked  atomic.Bool
}

type callResult struct {
	m   *Message
	err error
}

// accepts reports whether a response from p may answer this call: the
// same DTLS session, or any address for plain UDP (a device behind a NAT
// whose binding changed keeps its exchanges).
func (c *call) accepts(p *Peer) bool {
	return p == c.peer || (c.peer.udp != nil && p.udp != nil)
}

// answeredBy reports whether response m, carrying this call's token, is
// its answer. Only a confirmable deregistration can be mistaken: until it
// is answered, notifications of the observation it cancels still come on
// the same token. RFC 7641 §3.6 leaves the Observe option off the answer,
// but some clients (Telefónica's lwm2m-node-lib) put it on. So: the ACK
// with the request's message id is the answer whatever it carries; after
// an empty ACK the next response is the separate answer; before that, a
// response with Observe is a notification still in flight.
func (c *call) answeredBy(m *Message) bool {
	if !c.cancelObs {
		return true
	}
	if m.Type == Acknowledgement {
		return m.MessageID == c.mid
	}
	if c.sepAcked.Load() {
		return true
	}
	_, obs := m.Observe()
	return !obs
}

// isDeregistration reports a GET or FETCH with Observe=1.
func isDeregistration(m *Message) bool {
	v, ok := m.Observe()
	return ok && v == 1 && (m.Code == GET || m.Code == FETCH)
}

func (c *call) complete(m *Message, err error) {
	select {
	case c.ch <- callResult{m, err}:
	default:
	}
}

// acked stops retransmitting: an ACK (empty or piggybacked) arrived.
func (o *outMsg) acked() {
	if o.timer != nil {
		o.timer.Stop()
	}
}

// finish ends a CON message: err nil on an empty ACK.
func (o *outMsg) finish(p *Peer, m *Message, err error) {
	o.acked()
	switch {
	case o.done != nil:
		select {
		case o.done <- err:
		default:
		}
	case o.call != nil && err != nil:
		o.call.complete(m, err)
	}
}

// sendCON transmits a confirmable message and retransmits it with
// exponential back-off until it is acknowledged or given up on.
func (p *Peer) sendCON(o *outMsg) error {
	o.wait = p.eng.retransmitDelay()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.pending = append(p.pending, o)
	o.timer = time.AfterFunc(o.wait, func() { p.retransmit(o) })
	p.mu.Unlock()
	p.write(o.data)
	return nil
}

func (p *Peer) retransmit(o *outMsg) {
	p.mu.Lock()
	i := slices.Index(p.pending, o)
	if i < 0 {
		p.mu.Unlock()
		return
	}
	if o.tries >= p.eng.cfg.MaxRetransmit {
		p.pending = slices.Delete(p.pending, i, i+1)
		p.mu.Unlock()
		o.finish(p, nil, fmt.Errorf("%w: no acknowledgement for message %d after %d retransmissions", ErrTimeout, o.mid, o.tries))
		return
	}
	o.tries++
	o.wait *= 2
	o.timer.Reset(o.wait)
	p.mu.Unlock()
	p.write(o.data)
}

// takePending removes and returns our CON message with id mid.
func (p *Peer) takePending(mid uint16) *outMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, o := range p.pending {
		if o.mid == mid {
			p.pending = slices.Delete(p.pending, i, i+1)
			return o
		}
	}
	return nil
}

func (p *Peer) dropPending(o *outMsg) {
	if o == nil {
		return
	}
	o.acked()
	p.mu.Lock()
	if i := slices.Index(p.pending, o); i >= 0 {
		p.pending = slices.Delete(p.pending, i, i+1)
	}
	p.mu.Unlock()
}

// acquire takes one of the NStart request slots.
func (p *Peer) acquire(ctx context.Context) error {
	p.mu.Lock()
	if p.slots == nil {
		p.slots = make(chan struct{}, p.eng.cfg.NStart)
	}
	slots := p.slots
	p.mu.Unlock()
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx)
	case <-p.done:
		return ErrClosed
	}
}

func (p *Peer) release() { <-p.slots }

func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
	return ctx.Err()
}

// live returns the peer to use: a forgotten UDP peer is replaced by the
// endpoint's current peer for the same address.
func (p *Peer) live() *Peer {
	p.mu.Lock()
	d := p.detached
	p.mu.Unlock()
	if d && p.udp != nil {
		return p.udp.peerFor(p.udpAddr())
	}
	return p
}

// roundTrip sends one request and waits for its response (no block-wise).
func (p *Peer) roundTrip(ctx context.Context, req *Message) (*Message, error) {
	p = p.live()
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	e := p.eng
	tok := req.Token
	if tok.IsZero() {
		tok = e.newToken()
	}
	msg := *req
	msg.Token = tok
	msg.MessageID = p.nextMID()
	if msg.Type != NonConfirmable {
		msg.Type = Confirmable
	}
	c := &call{peer: p, ch: make(chan callResult, 1), mid: msg.MessageID}
	c.cancelObs = msg.Type == Confirmable && isDeregistration(&msg)
	inUse := false
	e.tokens.update(tok, func(te *tokenEntry) {
		if te.call != nil {
			inUse = true
			return
		}
		te.call = c
	})
	if inUse {
		return nil, fmt.Errorf("%w: %s", ErrTokenInUse, tok)
	}
	defer e.tokens.update(tok, func(te *tokenEntry) {
		if te.call == c {
			te.call = nil
		}
	})
	data, err := msg.Encode()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.calls--
		p.mu.Unlock()
	}()
	if msg.Type == Confirmable {
		c.out = &outMsg{mid: msg.MessageID, data: data, tok: tok, call: c}
		if err := p.sendCON(c.out); err != nil {
			return nil, err
		}
	} else {
		p.write(data)
	}
	select {
	case r := <-c.ch:
		p.dropPending(c.out)
		return r.m, r.err
	case <-ctx.Done():
		p.dropPending(c.out)
		return nil, ctxErr(ctx)
	case <-p.done:
		return nil, ErrClosed
	case <-e.ctx.Done():
		return nil, ErrClosed
	}
}

// Do sends a request and returns the response. A payload larger than the
// block size goes out in Block1 blocks; a response in Block2 blocks is
// fetched to the end. The type defaults to confirmable (set
// NonConfirmable to send NON); the token is chosen unless set. Do fails
// with ErrTimeout (retransmissions exhausted or ctx deadline), ErrReset,
// ErrClosed or the context's error.
func (p *Peer) Do(ctx context.Context, req *Message) (*Message, error) {
	if len(req.Payload) > p.eng.cfg.BlockSize && hasBody(req.Code) {
		return p.doBlock1(ctx, req)
	}
	resp, err := p.roundTrip(ctx, req)
	if err != nil {
		return nil, err
	}
	return p.collectBlock2(ctx, req, resp)
}

func hasBody(c lwm2m.Code) bool {
	switch c {
	case POST, PUT, FETCH, PATCH, IPATCH:
		return true
	}
	return false
}

// Notify sends a notification for an observation the peer made with
// request obs (its token and path are used). The caller sets n's code,
// Observe sequence number, content format and payload, and n.Type
// (Confirmable or NonConfirmable). A confirmable notification waits for the
// ACK; ErrReset means the observer is gone. A payload larger than the block
// size sends the first block; the observer fetches the rest.
func (p *Peer) Notify(ctx context.Context, obs *Message, n *Message) error {
	p = p.live()
	m := *n
	m.Token = obs.Token
	if m.Type != Confirmable {
		m.Type = NonConfirmable
	}
	if len(m.Payload) > p.eng.cfg.BlockSize {
		b2, has := obs.Block2()
		m = *p.sliceBlock2(obs, &m, Block{SZX: b2.SZX}, has && b2.Num == 0)
		m.Token = obs.Token
	}
	m.MessageID = p.nextMID()
	data, err := m.Encode()
	if err != nil {
		return err
	}
	if m.Type == NonConfirmable {
		p.rememberNon(m.MessageID, m.Token)
		p.write(data)
		return nil
	}
	o := &outMsg{mid: m.MessageID, data: data, tok: m.Token, done: make(chan error, 1)}
	if err := p.sendCON(o); err != nil {
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		p.dropPending(o)
		return ctxErr(ctx)
	case <-p.done:
		return ErrClosed
	}
}
