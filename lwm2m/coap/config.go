package coap

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/rs/zerolog"
)

// Handler serves a request that arrived from a peer and returns the
// response (code, options, payload); the engine fills in type, message id
// and token, splits large payloads into Block2 blocks, and caches the
// answer so a retransmitted request gets the same bytes again. A nil
// response sends nothing (a bare ACK for a confirmable request).
//
// The request has been reassembled when it came in Block1 blocks. Handlers
// run on the goroutine that read the datagram: they must not wait for
// another message from the same peer.
type Handler interface {
	ServeCoAP(ctx context.Context, p *Peer, req *Message) *Message
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, p *Peer, req *Message) *Message

// ServeCoAP calls f.
func (f HandlerFunc) ServeCoAP(ctx context.Context, p *Peer, req *Message) *Message {
	return f(ctx, p, req)
}

// NotifyFunc receives a notification for an observation (RFC 7641) from the
// peer that sent it, which may differ from the peer the observation was
// made on when the device's address changed. Returning false rejects it: a
// confirmable notification is answered with RST, telling the device to
// stop. It runs on the reading goroutine and must not block.
type NotifyFunc func(p *Peer, n *Message) bool

// Config holds the engine settings shared by listeners and dialled
// connections. The zero value of every field means "the default"; call
// Validate (Listen and Dial do) to apply defaults and check ranges.
type Config struct {
	// Handler serves incoming requests; nil answers every request 4.04.
	// A response body larger than the block size is sent block by block
	// (Block2) from the first answer; a handler that sets Block2 on its
	// response serves the requested block itself and it goes out as is.
	Handler Handler
	// Unmatched sees responses whose token matches no request in flight and
	// no observation (typically notifications the server no longer knows).
	// Returning true accepts (ACKs) them; nil or false rejects them with RST.
	Unmatched NotifyFunc
	// OnReset is told when a peer answers a non-confirmable notification we
	// sent with RST: the observer is gone. (A reset confirmable
	// notification makes Notify return ErrReset instead.)
	OnReset func(p *Peer, tok Token)
	// OnMalformed is told about datagrams that could not be decoded or were
	// refused before reaching the handler, for logging and security events.
	OnMalformed func(p *Peer, err error)
	// Logger receives debug logs; the zero value logs nothing.
	Logger zerolog.Logger

	// AckTimeout, AckRandomFactor and MaxRetransmit are the RFC 7252 §4.8
	// transmission parameters (2 s, 1.5, 4).
	AckTimeout      time.Duration
	AckRandomFactor float64
	MaxRetransmit   int
	// NStart bounds outstanding requests from us to one peer (default 1,
	// RFC 7252 §4.7); further requests wait their turn.
	NStart int
	// ExchangeLifetime is how long a request's answer is remembered for
	// de-duplication (default 247 s, RFC 7252 §4.8.2).
	ExchangeLifetime time.Duration

	// BlockSize is the largest block we send or ask for (16..1024, default
	// 1024). A peer asking for smaller blocks gets smaller ones.
	BlockSize int
	// MaxBodySize caps a body reassembled from blocks, in both directions
	// (default 1 MiB). Larger incoming transfers get 4.13.
	MaxBodySize int
	// MaxBlockTransfers caps block-wise transfers in progress per peer
	// (default 4); more get 5.03 until one finishes or expires.
	MaxBlockTransfers int
	// MaxReassemblyBytes caps the bytes of all incoming Block1 bodies in
	// reassembly at once, across peers (default 64 MiB); beyond it new
	// blocks get 5.03.
	MaxReassemblyBytes int

	// Readers is the number of goroutines reading a UDP socket (default
	// GOMAXPROCS, at least 2).
	Readers int
	// PeerIdleTimeout forgets UDP peers with nothing in flight after this
	// long without traffic (default ExchangeLifetime). A forgotten peer is
	// recreated on demand; only de-duplication state is lost.
	PeerIdleTimeout time.Duration
}

// Validate applies defaults and checks ranges.
func (c *Config) Validate() error {
	if c.AckTimeout == 0 {
		c.AckTimeout = 2 * time.Second
	}
	if c.AckRandomFactor == 0 {
		c.AckRandomFactor = 1.5
	}
	if c.MaxRetransmit == 0 {
		c.MaxRetransmit = 4
	}
	if c.NStart == 0 {
		c.NStart = 1
	}
	if c.ExchangeLifetime == 0 {
		c.ExchangeLifetime = 247 * time.Second
	}
	if c.BlockSize == 0 {
		c.BlockSize = 1024
	}
	if c.MaxBodySize == 0 {
		c.MaxBodySize = 1 << 20
	}
	if c.MaxBlockTransfers == 0 {
		c.MaxBlockTransfers = 4
	}
	if c.MaxReassemblyBytes == 0 {
		c.MaxReassemblyBytes = max(64<<20, c.MaxBodySize)
	}
	if c.Readers == 0 {
		c.Readers = max(2, runtime.GOMAXPROCS(0))
	}
	if c.PeerIdleTimeout == 0 {
		c.PeerIdleTimeout = c.ExchangeLifetime
	}
	var errs []error
	if c.AckTimeout < 0 {
		errs = append(errs, fmt.Errorf("AckTimeout %v is negative", c.AckTimeout))
	}
	if c.AckRandomFactor < 1 {
		errs = append(errs, fmt.Errorf("AckRandomFactor %v is below 1", c.AckRandomFactor))
	}
	if c.MaxRetransmit < 0 || c.MaxRetransmit > 20 {
		errs = append(errs, fmt.Errorf("MaxRetransmit %d is outside 0..20", c.MaxRetransmit))
	}
	if c.NStart < 1 {
		errs = append(errs, fmt.Errorf("NStart %d is below 1", c.NStart))
	}
	if c.BlockSize < 16 || c.BlockSize > 1024 || c.BlockSize&(c.BlockSize-1) != 0 {
		errs = append(errs, fmt.Errorf("BlockSize %d is not a power of two in 16..1024", c.BlockSize))
	}
	if c.MaxBodySize < c.BlockSize {
		errs = append(errs, fmt.Errorf("MaxBodySize %d is below BlockSize", c.MaxBodySize))
	}
	if c.MaxBlockTransfers < 1 || c.Readers < 1 || c.MaxReassemblyBytes < c.MaxBodySize {
		errs = append(errs, errors.New("MaxBlockTransfers and Readers must be positive, MaxReassemblyBytes at least MaxBodySize"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("coap: config: %w", errors.Join(errs...))
	}
	return nil
}
