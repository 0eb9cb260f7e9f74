package coap

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
)

// engine is the CoAP message and request/response layer shared by every
// transport: it decodes datagrams, de-duplicates, retransmits, matches
// responses to requests by token, routes notifications and runs block-wise
// transfers. Transports feed it datagrams per peer and give each peer a
// link to write to.
type engine struct {
	cfg    Config
	log    zerolog.Logger
	tokens tokenTable
	ctx    context.Context
	cancel context.CancelFunc
	// bg tracks goroutines the engine starts (block-wise notifications).
	bg sync.WaitGroup
	// rxBytes counts request bodies in Block1 reassembly, all peers.
	rxBytes atomic.Int64
}

func newEngine(cfg Config) *engine {
	ctx, cancel := context.WithCancel(context.Background())
	e := &engine{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel}
	e.tokens.init()
	return e
}

// link writes datagrams to one peer.
type link interface {
	write(b []byte) error
	remote() string
	close() error
}

// tokenTable maps tokens to the request waiting for a response and the
// observation receiving notifications. Tokens are random 64-bit values we
// chose, so the table is keyed by token alone: a device whose address
// changed still reaches its observation.
type tokenTable struct {
	shards [16]struct {
		mu sync.Mutex
		m  map[Token]*tokenEntry
	}
}

type tokenEntry struct {
	call *call
	obs  *Observation
}

func (t *tokenTable) init() {}

func (t *tokenTable) shard(tok Token) *struct {
	mu sync.Mutex
	m  map[Token]*tokenEntry
} {
	return &t.shards[(tok.b[0]^tok.b[tok.n/2])&15]
}

// update runs f on the entry for tok under the shard lock, creating it if
// needed and dropping it when f leaves it empty.
func (t *tokenTable) update(tok Token, f func(e *tokenEntry)) {
	s := t.shard(tok)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[Token]*tokenEntry)
	}
	e := s.m[tok]
	if e == nil {
		e = &tokenEntry{}
	}
	f(e)
	if e.call == nil && e.obs == nil {
		delete(s.m, tok)
	} else {
		s.m[tok] = e
	}
	s.mu.Unlock()
}

func (e *engine) newToken() Token {
	var t Token
	v := rand.Uint64()
	for i := range 8 {
		t.b[i] = byte(v >> (8 * i))
	}
	t.n = 8
	return t
}

// receive processes one datagram from p. data is owned by the engine from
// here on (messages alias it).
func (e *engine) receive(p *Peer, data []byte) { e.receiveVia(p, data, nil) }

// receiveVia is receive with replies queued on sink, when given, to go
// out with others in one system call.
func (e *engine) receiveVia(p *Peer, data []byte, sink *batchIO) {
	p.heard()
	m := new(Message)
	if err := decodeInto(m, data); err != nil {
		e.malformed(p, err, sink)
		return
	}
	if e.log.GetLevel() <= zerolog.TraceLevel {
		e.log.Trace().Str("peer", p.String()).Str("msg", m.String()).Msg("coap: received")
	}
	switch m.Type {
	case Acknowledgement, Reset:
		e.handleAckReset(p, m)
	default:
		switch {
		case m.IsEmpty():
			if m.Type == Confirmable { // CoAP ping (RFC 7252 §4.3)
				p.reply(sink, emptyBytes(Reset, m.MessageID))
			}
		case m.IsRequest():
			e.handleRequest(p, m, sink)
		default:
			e.handleSeparate(p, m, sink)
		}
	}
}

// malformed answers what can be answered of an undecodable datagram: a
// confirmable request whose header and token were readable gets 4.00 with
// the diagnostic; other confirmable messages get RST; the rest is dropped.
func (e *engine) malformed(p *Peer, err error, sink *batchIO) {
	if e.cfg.OnMalformed != nil {
		e.cfg.OnMalformed(p, err)
	}
	e.log.Debug().Str("peer", p.String()).Err(err).Msg("coap: malformed datagram")
	de, ok := err.(*DecodeError)
	if !ok || !de.Header || de.Type != Confirmable {
		return
	}
	if IsRequest(de.Code) && de.HasToken {
		resp := &Message{Type: Acknowledgement, Code: lwm2m.CodeBadRequest, MessageID: de.MessageID, Token: de.Token, Payload: []byte(de.Error())}
		resp.SetContentFormat(lwm2m.FormatText)
		if b, err := resp.Encode(); err == nil {
			p.reply(sink, b)
		}
		return
	}
	p.reply(sink, emptyBytes(Reset, de.MessageID))
}

func (e *engine) handleAckReset(p *Peer, m *Message) {
	out := p.takePending(m.MessageID)
	if m.Type == Reset {
		if out != nil {
			out.finish(p, nil, fmt.Errorf("%w (message %d)", ErrReset, m.MessageID))
		} else if tok, ok := p.takeNonSent(m.MessageID); ok && e.cfg.OnReset != nil {
			e.cfg.OnReset(p, tok)
		}
		return
	}
	if m.IsEmpty() {
		if out != nil {
			if out.call != nil {
				out.call.sepAcked.Store(true)
			}
			out.finish(p, nil, nil)
		}
		return
	}
	// Piggybacked response.
	if out != nil {
		out.acked()
	}
	if !e.deliver(p, m) {
		e.log.Debug().Str("peer", p.String()).Str("msg", m.String()).Msg("coap: piggybacked response matches no request")
	}
}

// handleSeparate handles a CON or NON response: a separate response or a
// notification. It is acknowledged when someone takes it, reset otherwise.
func (e *engine) handleSeparate(p *Peer, m *Message, sink *batchIO) {
	if cached, dup := p.dedupBegin(m.MessageID); dup {
		if cached != nil {
			p.reply(sink, cached)
		}
		return
	}
	accepted := true
	if bad, ok := unknownCritical(m.Options); ok {
		e.log.Debug().Str("peer", p.String()).Uint16("option", uint16(bad)).Msg("coap: response with unknown critical option")
		accepted = false
	} else {
		accepted = e.deliver(p, m)
	}
	var reply []byte
	switch {
	case m.Type == Confirmable && accepted:
		reply = emptyBytes(Acknowledgement, m.MessageID)
	case !accepted:
		reply = emptyBytes(Reset, m.MessageID)
	}
	p.dedupEnd(m.MessageID, reply)
	if reply != nil {
		p.reply(sink, reply)
	}
}

// deliver routes a response by token: to the request waiting for it, else
// to an observation, else to Config.Unmatched.
func (e *engine) deliver(p *Peer, m *Message) bool {
	var c *call
	var obs *Observation
	e.tokens.update(m.Token, func(te *tokenEntry) {
		if te.call != nil && te.call.accepts(p) && te.call.answeredBy(m) {
			c, te.call = te.call, nil
			return
		}
		obs = te.obs
	})
	switch {
	case c != nil:
		c.complete(m, nil)
		return true
	case obs != nil:
		return obs.notify(p, m)
	case e.cfg.Unmatched != nil:
		return e.cfg.Unmatched(p, m)
	}
	return false
}

func (e *engine) handleRequest(p *Peer, m *Message, sink *batchIO) {
	if cached, dup := p.dedupBegin(m.MessageID); dup {
		if cached != nil {
			p.reply(sink, cached)
		}
		return
	}
	resp, after := e.serve(p, m)
	var out []byte
	if resp != nil {
		resp.Token = m.Token
		if m.Type == Confirmable {
			resp.Type, resp.MessageID = Acknowledgement, m.MessageID
		} else {
			resp.Type, resp.MessageID = NonConfirmable, p.nextMID()
		}
		b, err := resp.Encode()
		if err != nil {
			e.log.Error().Err(err).Str("peer", p.String()).Msg("coap: cannot encode response")
			b, _ = (&Message{Type: resp.Type, MessageID: resp.MessageID, Token: m.Token, Code: lwm2m.CodeInternalServerError}).Encode()
		}
		out = b
	} else if m.Type == Confirmable {
		out = emptyBytes(Acknowledgement, m.MessageID)
	}
	p.dedupEnd(m.MessageID, out)
	if after != nil {
		// after follows the datagram onto the wire: it runs when the
		// batch it joins is written.
		p.replyThen(sink, out, after)
		return
	}
	if out != nil {
		p.reply(sink, out)
	}
}

// serve runs the checks, block-wise handling and the handler for one
// request. after is the handler response's AfterSend.
func (e *engine) serve(p *Peer, m *Message) (resp *Message, after func()) {
	if bad, ok := unknownCritical(m.Options); ok {
		err := fmt.Errorf("%w: unrecognised critical option %d", ErrMalformed, bad)
		if e.cfg.OnMalformed != nil {
			e.cfg.OnMalformed(p, err)
		}
		return textResponse(lwm2m.CodeBadOption, err.Error()), nil
	}
	if _, has := m.Options.Get(OptBlock1); has {
		resp, complete := p.receiveBlock1(m)
		if !complete {
			return resp, nil
		}
	}
	b2, hasB2 := m.Block2()
	if hasB2 && b2.Num > 0 {
		if resp := p.continueBlock2(m, b2); resp != nil {
			return resp, nil
		}
	}
	if e.cfg.Handler == nil {
		resp = textResponse(lwm2m.CodeNotFound, "no handler")
	} else {
		resp = e.cfg.Handler.ServeCoAP(e.ctx, p, m)
	}
	if resp == nil {
		return nil, nil
	}
	after, resp.AfterSend = resp.AfterSend, nil
	if b1, ok := m.Block1(); ok && resp.Code != lwm2m.CodeContinue {
		if _, set := resp.Options.Get(OptBlock1); !set {
			resp.SetBlock1(Block{Num: b1.Num, SZX: b1.SZX})
		}
	}
	if _, sliced := resp.Options.Get(OptBlock2); sliced {
		// The handler served one block itself (a file read block by block
		// rather than held whole): pass it on as it is.
		return resp, after
	}
	return p.sliceBlock2(m, resp, b2, hasB2), after
}

func unknownCritical(opts Options) (OptionID, bool) {
	for _, o := range opts {
		if o.ID.Critical() && !o.ID.known() {
			return o.ID, true
		}
	}
	return 0, false
}

func textResponse(code lwm2m.Code, text string) *Message {
	m := &Message{Code: code, Payload: []byte(text)}
	if text != "" {
		m.SetContentFormat(lwm2m.FormatText)
	}
	return m
}

func emptyBytes(t Type, mid uint16) []byte {
	return []byte{0x40 | byte(t)<<4, 0, byte(mid >> 8), byte(mid)}
}

// retransmitDelay returns the first ACK timeout for a new CON message,
// randomised between AckTimeout and AckTimeout*AckRandomFactor.
func (e *engine) retransmitDelay() time.Duration {
	t := e.cfg.AckTimeout
	if f := e.cfg.AckRandomFactor; f > 1 {
		t += time.Duration(rand.Float64() * (f - 1) * float64(t))
	}
	return t
}
