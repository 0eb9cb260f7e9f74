package coap

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// rxTransfer is an incoming Block1 body being reassembled.
type rxTransfer struct {
	key     string
	buf     []byte
	expires time.Time
}

// txBody is a response body served block by block (Block2).
type txBody struct {
	key     string
	tmpl    *Message // the response without payload and block options
	body    []byte
	etag    []byte
	expires time.Time
}

// requestKey identifies "the same request" across blocks (RFC 7959 §2.4):
// method, path and query; token, message id and block options differ.
func requestKey(m *Message) string {
	var sb strings.Builder
	sb.WriteString(strconv.Itoa(int(m.Code)))
	for _, o := range m.Options {
		switch o.ID {
		case OptURIPath, OptURIQuery, OptURIHost, OptURIPort, OptAccept:
			sb.WriteByte('|')
			sb.WriteString(strconv.Itoa(int(o.ID)))
			sb.WriteByte('=')
			sb.Write(o.Value)
		}
	}
	return sb.String()
}

// expireTransfers drops transfers past their expiry, giving their bytes
// back to the engine's budget.
func (e *engine) expireTransfers(rx []*rxTransfer, now time.Time) []*rxTransfer {
	return slices.DeleteFunc(rx, func(t *rxTransfer) bool {
		if now.After(t.expires) {
			e.rxBytes.Add(-int64(len(t.buf)))
			return true
		}
		return false
	})
}

// dropTransfer removes t and gives its bytes back.
func (p *Peer) dropTransfer(t *rxTransfer) {
	p.rx = slices.DeleteFunc(p.rx, func(x *rxTransfer) bool { return x == t })
	p.eng.rxBytes.Add(-int64(len(t.buf)))
}

func expireBodies(tx []*txBody, now time.Time) []*txBody {
	return slices.DeleteFunc(tx, func(t *txBody) bool { return now.After(t.expires) })
}

// receiveBlock1 stores one Block1 block of a request. It returns the
// response to send (2.31 Continue or an error) with complete false, or
// complete true with m.Payload set to the whole body.
func (p *Peer) receiveBlock1(m *Message) (*Message, bool) {
	cfg := &p.eng.cfg
	b1, ok := m.Block1()
	if !ok {
		return textResponse(lwm2m.CodeBadOption, "invalid Block1 option"), false
	}
	if s1, ok := m.Options.Uint(OptSize1); ok && int(s1) > cfg.MaxBodySize {
		r := textResponse(lwm2m.CodeRequestEntityTooLarge, fmt.Sprintf("body of %d bytes exceeds %d", s1, cfg.MaxBodySize))
		r.Options = r.Options.SetUint(OptSize1, uint32(cfg.MaxBodySize))
		return r, false
	}
	if b1.More && len(m.Payload) != b1.Size() {
		return textResponse(lwm2m.CodeBadRequest, fmt.Sprintf("block %d carries %d bytes, block size is %d", b1.Num, len(m.Payload), b1.Size())), false
	}
	key := requestKey(m)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.IndexFunc(p.rx, func(t *rxTransfer) bool { return t.key == key })
	var t *rxTransfer
	if i >= 0 {
		t = p.rx[i]
	}
	if b1.Num == 0 {
		if t == nil {
			p.rx = p.eng.expireTransfers(p.rx, now)
			if len(p.rx) >= cfg.MaxBlockTransfers {
				return textResponse(lwm2m.CodeServiceUnavailable, "too many block-wise transfers in progress"), false
			}
			t = &rxTransfer{key: key}
			p.rx = append(p.rx, t)
		}
		p.eng.rxBytes.Add(-int64(len(t.buf)))
		t.buf = t.buf[:0]
	} else if t == nil || b1.Offset() != len(t.buf) {
		have := 0
		if t != nil {
			have = len(t.buf)
		}
		return textResponse(lwm2m.CodeRequestEntityIncomplete, fmt.Sprintf("block %d (offset %d) does not follow the %d bytes received", b1.Num, b1.Offset(), have)), false
	}
	data, szx, more := m.Payload, b1.SZX, b1.More
	if my := SZXForSize(cfg.BlockSize); szx > my {
		// Negotiate down (RFC 7959 §2.3): keep the first block of our size.
		if len(data) > 1<<(my+4) {
			data, more = data[:1<<(my+4)], true
		}
		szx = my
	}
	if len(t.buf)+len(data) > cfg.MaxBodySize {
		p.dropTransfer(t)
		r := textResponse(lwm2m.CodeRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", cfg.MaxBodySize))
		r.Options = r.Options.SetUint(OptSize1, uint32(cfg.MaxBodySize))
		return r, false
	}
	// Bodies in reassembly share one budget across all peers, so spoofed
	// sources cannot pile up partial transfers without bound.
	if p.eng.rxBytes.Add(int64(len(data))) > int64(cfg.MaxReassemblyBytes) {
		p.eng.rxBytes.Add(-int64(len(data)))
		p.dropTransfer(t)
		return textResponse(lwm2m.CodeServiceUnavailable, "too much block-wise data in reassembly, try later"), false
	}
	t.buf = append(t.buf, data...)
	t.expires = now.Add(cfg.ExchangeLifetime)
	if more {
		r := &Message{Code: lwm2m.CodeContinue}
		r.SetBlock1(Block{Num: uint32(len(t.buf)/(1<<(szx+4)) - 1), More: true, SZX: szx})
		return r, false
	}
	p.dropTransfer(t)
	m.Payload = t.buf
	return nil, true
}

// continueBlock2 answers a request for block num > 0 from a body served
// earlier; nil when there is none (the handler then runs again).
func (p *Peer) continueBlock2(m *Message, b2 Block) *Message {
	key := requestKey(m)
	now := time.Now()
	p.mu.Lock()
	var body *txBody
	for _, t := range p.tx {
		if t.key == key && now.Before(t.expires) {
			body = t
		}
	}
	p.mu.Unlock()
	if body == nil {
		return nil
	}
	if etag, ok := m.Options.Get(OptETag); ok && string(etag) != string(body.etag) {
		return nil
	}
	return blockOf(body.tmpl, body.body, body.etag, b2.Offset(), b2.SZX)
}

// sliceBlock2 returns resp itself when it fits in one block, else the
// block the request asked for (the first by default), remembering the body
// for the requests for later blocks.
func (p *Peer) sliceBlock2(req, resp *Message, b2 Block, hasB2 bool) *Message {
	szx := SZXForSize(p.eng.cfg.BlockSize)
	if hasB2 && b2.SZX < szx {
		szx = b2.SZX
	}
	offset := 0
	if hasB2 {
		offset = b2.Offset()
	}
	if len(resp.Payload) <= 1<<(szx+4) && offset == 0 {
		return resp
	}
	sum := sha256.Sum256(resp.Payload)
	tmpl := &Message{Code: resp.Code, Options: resp.Options.Clone().Remove(OptBlock2).Remove(OptSize2).Remove(OptETag)}
	t := &txBody{key: requestKey(req), tmpl: tmpl, body: resp.Payload, etag: sum[:8], expires: time.Now().Add(p.eng.cfg.ExchangeLifetime)}
	p.mu.Lock()
	p.tx = slices.DeleteFunc(p.tx, func(x *txBody) bool { return x.key == t.key })
	if len(p.tx) >= p.eng.cfg.MaxBlockTransfers {
		p.tx = p.tx[1:]
	}
	p.tx = append(p.tx, t)
	p.mu.Unlock()
	return blockOf(tmpl, t.body, t.etag, offset, szx)
}

func blockOf(tmpl *Message, body, etag []byte, offset int, szx uint8) *Message {
	size := 1 << (szx + 4)
	if offset >= len(body) && !(offset == 0 && len(body) == 0) {
		return textResponse(lwm2m.CodeBadOption, fmt.Sprintf("block at offset %d is beyond the %d-byte body", offset, len(body)))
	}
	end := min(offset+size, len(body))
	r := &Message{Code: tmpl.Code, Options: slices.Clone(tmpl.Options), Payload: body[offset:end]}
	r.SetBlock2(Block{Num: uint32(offset / size), More: end < len(body), SZX: szx})
	r.Options = r.Options.Set(OptETag, etag)
	if offset == 0 {
		r.Options = r.Options.SetUint(OptSize2, uint32(len(body)))
	}
	return r
}

// collectBlock2 fetches the remaining blocks of a Block2 response.
func (p *Peer) collectBlock2(ctx context.Context, req, resp *Message) (*Message, error) {
	b2, ok := resp.Block2()
	if !ok || !b2.More {
		return resp, nil
	}
	max := p.eng.cfg.MaxBodySize
	etag, _ := resp.Options.Get(OptETag)
	body := append([]byte(nil), resp.Payload...)
	if b2.Offset() != 0 {
		return nil, fmt.Errorf("%w: first response carries block %d", ErrBlockwise, b2.Num)
	}
	for b2.More {
		if len(body) > max {
			return nil, fmt.Errorf("%w: response exceeds %d bytes", ErrBodyTooLarge, max)
		}
		if len(body)%b2.Size() != 0 {
			return nil, fmt.Errorf("%w: block %d is short (%d bytes so far)", ErrBlockwise, b2.Num, len(body))
		}
		next := &Message{Type: req.Type, Code: req.Code, Options: req.Options.Clone().Remove(OptObserve).Remove(OptBlock1).Remove(OptSize1).Remove(OptBlock2)}
		if req.Code == FETCH {
			next.Payload = req.Payload
		}
		next.SetBlock2(Block{Num: uint32(len(body) / b2.Size()), SZX: b2.SZX})
		r, err := p.roundTrip(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", len(body)/b2.Size(), err)
		}
		if !r.Code.IsSuccess() {
			return r, nil
		}
		nb, ok := r.Block2()
		if !ok || nb.Offset() != len(body) {
			return nil, fmt.Errorf("%w: asked for offset %d, got block %v", ErrBlockwise, len(body), nb)
		}
		if tag, _ := r.Options.Get(OptETag); string(tag) != string(etag) {
			return nil, fmt.Errorf("%w: representation changed during transfer (ETag)", ErrBlockwise)
		}
		body = append(body, r.Payload...)
		b2 = nb
	}
	if len(body) > max {
		return nil, fmt.Errorf("%w: response exceeds %d bytes", ErrBodyTooLarge, max)
	}
	out := *resp
	out.Options = resp.Options.Clone().Remove(OptBlock2)
	out.Payload = body
	return &out, nil
}

// doBlock1 sends a large request body in Block1 blocks, following the
// peer when it asks for smaller blocks.
func (p *Peer) doBlock1(ctx context.Context, req *Message) (*Message, error) {
	body := req.Payload
	szx := SZXForSize(p.eng.cfg.BlockSize)
	off := 0
	for {
		size := 1 << (szx + 4)
		end := min(off+size, len(body))
		more := end < len(body)
		r := &Message{Type: req.Type, Code: req.Code, Options: req.Options.Clone(), Payload: body[off:end]}
		r.SetBlock1(Block{Num: uint32(off / size), More: more, SZX: szx})
		if off == 0 {
			r.Options = r.Options.SetUint(OptSize1, uint32(len(body)))
		}
		resp, err := p.roundTrip(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", off/size, err)
		}
		if !more {
			return p.collectBlock2(ctx, req, resp)
		}
		if resp.Code != lwm2m.CodeContinue {
			return resp, nil
		}
		rb, ok := resp.Block1()
		switch {
		case ok && rb.SZX < szx:
			szx = rb.SZX
			off = int(rb.Num+1) << (szx + 4)
		default:
			off = end
		}
	}
}
