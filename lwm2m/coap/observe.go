package coap

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Observation is an observe relationship we hold with a peer (RFC 7641):
// notifications carrying its token are handed to its NotifyFunc, whichever
// address or session they arrive from.
type Observation struct {
	eng    *engine
	tok    Token
	req    *Message
	fn     NotifyFunc
	peer   atomic.Pointer[Peer]
	active atomic.Bool
}

// Token returns the observation's token.
func (o *Observation) Token() Token { return o.tok }

// Request returns the observe request (a copy).
func (o *Observation) Request() *Message { return o.req.Clone() }

// Peer returns the peer the last notification came from.
func (o *Observation) Peer() *Peer { return o.peer.Load() }

// Observe sends req with Observe=0 and, when the peer agrees (a success
// response carrying an Observe option), keeps receiving notifications
// through fn until the observation is cancelled or forgotten. It returns
// the first response either way; the Observation is nil when the peer did
// not establish one. Notifications larger than a block are reassembled
// before fn sees them.
func (p *Peer) Observe(ctx context.Context, req *Message, fn NotifyFunc) (*Observation, *Message, error) {
	r := req.Clone()
	if r.Token.IsZero() {
		r.Token = p.eng.newToken()
	}
	r.SetObserve(0)
	o, err := p.eng.attach(r, fn)
	if err != nil {
		return nil, nil, err
	}
	o.peer.Store(p)
	resp, err := p.Do(ctx, r)
	if err != nil {
		o.Forget()
		return nil, nil, err
	}
	if _, ok := resp.Observe(); !ok || !resp.Code.IsSuccess() {
		o.Forget()
		return nil, resp, nil
	}
	return o, resp, nil
}

func (e *engine) attach(req *Message, fn NotifyFunc) (*Observation, error) {
	o := &Observation{eng: e, tok: req.Token, req: req, fn: fn}
	o.active.Store(true)
	inUse := false
	e.tokens.update(req.Token, func(te *tokenEntry) {
		if te.obs != nil {
			inUse = true
			return
		}
		te.obs = o
	})
	if inUse {
		return nil, fmt.Errorf("%w: observation %s", ErrTokenInUse, req.Token)
	}
	return o, nil
}

// Forget drops the observation locally (reactive cancel): the next
// notification is answered with RST.
func (o *Observation) Forget() {
	if !o.active.Swap(false) {
		return
	}
	o.eng.tokens.update(o.tok, func(te *tokenEntry) {
		if te.obs == o {
			te.obs = nil
		}
	})
}

// Cancel deregisters actively: a GET with Observe=1 and the same token on
// the peer last heard from, then Forget. It returns the peer's response.
func (o *Observation) Cancel(ctx context.Context) (*Message, error) {
	defer o.Forget()
	p := o.peer.Load()
	if p == nil {
		return nil, ErrClosed
	}
	r := o.req.Clone()
	r.SetObserve(1)
	return p.Do(ctx, r)
}

// notify hands a notification to fn. A notification in blocks is
// acknowledged at once and delivered when the remaining blocks are in.
func (o *Observation) notify(p *Peer, m *Message) bool {
	if !o.active.Load() {
		return false
	}
	o.peer.Store(p)
	if b2, ok := m.Block2(); ok && b2.More && b2.Num == 0 {
		o.eng.bg.Go(func() {
			ctx, cancel := context.WithTimeout(o.eng.ctx, o.eng.cfg.ExchangeLifetime)
			defer cancel()
			full, err := p.collectBlock2(ctx, o.req, m)
			if err != nil {
				o.eng.log.Debug().Err(err).Str("peer", p.String()).Str("token", o.tok.String()).Msg("coap: block-wise notification failed")
				return
			}
			o.fn(p, full)
		})
		return true
	}
	return o.fn(p, m)
}
