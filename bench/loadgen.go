package main

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/internal/dtlsload"
	"github.com/shoal-iot/shoal/internal/loadgen"
	"github.com/shoal-iot/shoal/sim"
)

// The load generator: devices are prebuilt CoAP datagrams, not client
// stacks. Each device has its own loopback source address (127.16.0.1,
// 127.16.0.2, …) and all share a few wildcard sockets: the source address is
// set per datagram with IP_PKTINFO and answers are told apart by their
// destination address, so 100,000 devices cost four file descriptors.
// Sockets are driven with recvmmsg/sendmmsg. Every device keeps at most one
// request outstanding; lost requests are retransmitted with the same message
// id. Requests the server sends (Observe, Read, Write-Attributes) are
// answered by the responder in the same loop.

// device is one simulated device. Its fields are touched only by the
// goroutine of its socket.
type device struct {
	idx  int
	ep   string
	addr netip.Addr
	oob  []byte
	sock *gsock

	mid     uint16
	tok     uint64
	loc     []string // registration location, e.g. ["rd", "5"]
	pending []byte   // the request awaiting its answer
	firstAt time.Time
	lastAt  time.Time

	obsTok  []byte // token of the server's observation
	obsSeq  uint32
	obsPath string

	sess *dtlsload.Session // DTLS: records sealed and opened with it (nil: plain UDP)
}

type gsock struct {
	*loadgen.Socket
	devs []*device
}

// fleet is a set of raw devices talking to one server address.
type fleet struct {
	devs   []device
	socks  []*gsock
	server *net.UDPAddr

	retransmitAfter time.Duration
	retransmits     atomic.Int64
	requestsServed  atomic.Int64 // server requests answered by the responder
}

// devRange holds the device addresses, 127.16.0.1 onwards.
var devRange = loadgen.NewRange(16)

func devAddr(i int) netip.Addr { return devRange.Addr(i) }

func devIndex(a netip.Addr) int { return devRange.Index(a) }

// newFleet makes n devices named prefix+index over nsocks sockets.
func newFleet(server string, prefix string, n, nsocks int) (*fleet, error) {
	ua, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		return nil, err
	}
	f := &fleet{devs: make([]device, n), server: ua, retransmitAfter: 2 * time.Second}
	for range nsocks {
		s, err := loadgen.Listen(8 << 20)
		if err != nil {
			f.close()
			return nil, err
		}
		f.socks = append(f.socks, &gsock{Socket: s})
	}
	for i := range f.devs {
		d := &f.devs[i]
		d.idx, d.addr, d.ep = i, devAddr(i), prefix+strconv.Itoa(i)
		d.mid = uint16(i * 31)
		d.tok = uint64(i) << 32
		d.oob = loadgen.SourceOOB(d.addr)
		d.sock = f.socks[i%nsocks]
		d.sock.devs = append(d.sock.devs, d)
	}
	return f, nil
}

func (f *fleet) close() {
	for _, s := range f.socks {
		_ = s.Close()
	}
}

func (d *device) nextMID() uint16 { d.mid++; return d.mid }

func (d *device) nextToken() []byte {
	d.tok++
	t := d.tok
	return []byte{byte(t >> 56), byte(t >> 48), byte(t >> 40), byte(t >> 32), byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
}

// phase says what devices send and when an answer completes an operation.
type phase interface {
	// next is d's next request, nil when d has nothing to send now.
	next(d *device) []byte
	// cyclic phases send again after each answer; others once per device.
	cyclic() bool
	// answered is told that m answered d's pending request.
	answered(d *device, m *msg)
}

// result is what one run of a phase measured.
type result struct {
	ok, failed int64
	elapsed    time.Duration
	lat        *sim.Histogram
}

// run drives every socket with p until every device has sent once (for a
// one-shot phase) or ctx ends. window bounds the requests outstanding per
// socket (0: one per device).
func (f *fleet) run(ctx context.Context, p phase, window int) result {
	res := result{lat: &sim.Histogram{}}
	var ok, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, s := range f.socks {
		wg.Go(func() { f.loop(ctx, s, p, window, res.lat, &ok, &failed) })
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.ok, res.failed = ok.Load(), failed.Load()
	return res
}

// idle answers the server's requests until ctx ends or cond holds.
func (f *fleet) idle(ctx context.Context, cond func() bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if cond() {
					cancel()
					return
				}
			}
		}
	}()
	f.run(ctx, idlePhase{}, 0)
}

type idlePhase struct{}

func (idlePhase) next(*device) []byte    { return nil }
func (idlePhase) cyclic() bool           { return true }
func (idlePhase) answered(*device, *msg) {}

const batchLen = loadgen.BatchLen

func (f *fleet) loop(ctx context.Context, s *gsock, p phase, window int, lat *sim.Histogram, ok, failed *atomic.Int64) {
	bt := s.NewBatch(f.server)
	send := func(d *device, b []byte) {
		if d.sess != nil {
			r, err := d.sess.Seal(b)
			if err != nil {
				return // counted as lost: retransmission tries again
			}
			b = r
		}
		bt.Send(b, d.oob)
	}
	if window <= 0 || window > len(s.devs) {
		window = len(s.devs)
	}
	ring, active, visited := 0, 0, 0
	startNext := func() {
		for tries := 0; tries < len(s.devs) && active < window; tries++ {
			if !p.cyclic() && visited >= len(s.devs) {
				return
			}
			d := s.devs[ring]
			ring = (ring + 1) % len(s.devs)
			visited++
			if d.pending != nil {
				continue
			}
			b := p.next(d)
			if b == nil {
				continue
			}
			now := time.Now()
			d.pending, d.firstAt, d.lastAt = b, now, now
			active++
			send(d, b)
		}
	}
	complete := func(d *device, m *msg) {
		p.answered(d, m)
		lat.Record(time.Since(d.firstAt))
		if m.code>>5 == 2 || m.code == codeEmpty && m.typ == typeACK {
			ok.Add(1)
		} else {
			failed.Add(1)
		}
		d.pending = nil
		active--
	}
	// again starts the next request after d's answer: d itself when every
	// device of the socket is in play (no scan), else the next idle device.
	again := func(d *device) {
		if p.cyclic() && window == len(s.devs) {
			if b := p.next(d); b != nil {
				now := time.Now()
				d.pending, d.firstAt, d.lastAt = b, now, now
				active++
				send(d, b)
			}
			return
		}
		startNext()
	}
	for range window {
		startNext()
	}
	bt.Flush()
	lastSweep := time.Now()
	for ctx.Err() == nil {
		if !p.cyclic() && active == 0 && visited >= len(s.devs) {
			return
		}
		n, err := bt.Read(50 * time.Millisecond)
		if err != nil {
			return
		}
		for i := range n {
			idx, data, okAddr := bt.Received(i, devRange, len(f.devs))
			if !okAddr {
				continue
			}
			d := &f.devs[idx]
			if d.sess != nil {
				if data, err = d.sess.Open(data); err != nil {
					continue // not an application record of this session
				}
			}
			m, err := parse(data)
			if err != nil {
				continue
			}
			switch {
			case m.typ == typeCON && m.code >= 1 && m.code < 32:
				send(d, f.respond(d, &m))
			case m.typ == typeCON && m.code == codeEmpty:
				send(d, (&msg{typ: typeRST, mid: m.mid}).encode(nil))
			case d.pending == nil:
				if m.typ == typeCON {
					send(d, (&msg{typ: typeACK, mid: m.mid}).encode(nil))
				}
			case (m.typ == typeACK || m.typ == typeRST) && m.mid == d.mid:
				if m.typ == typeACK && m.code == codeEmpty && !isNotification(d.pending) {
					d.lastAt = time.Now().Add(time.Hour) // separate response follows: stop retransmitting
					continue
				}
				complete(d, &m)
				again(d)
			case m.typ == typeCON && m.code>>5 >= 2 && tokenIs(d, m.token):
				send(d, (&msg{typ: typeACK, mid: m.mid}).encode(nil))
				complete(d, &m)
				again(d)
			}
		}
		if now := time.Now(); now.Sub(lastSweep) > f.retransmitAfter/4 {
			lastSweep = now
			for _, d := range s.devs {
				if d.pending != nil && now.Sub(d.lastAt) > f.retransmitAfter {
					f.retransmits.Add(1)
					d.lastAt = now
					send(d, d.pending)
				}
			}
		}
		if active < window && window < len(s.devs) {
			startNext()
		}
		bt.Flush()
	}
}

func tokenIs(d *device, t []byte) bool {
	if len(t) != 8 {
		return false
	}
	var v uint64
	for _, b := range t {
		v = v<<8 | uint64(b)
	}
	return v == d.tok
}

// isNotification tells a device's own notification (a 2.05 it sent as a
// CON) from a request.
func isNotification(b []byte) bool { return len(b) > 1 && b[1] == codeContent }

// respond answers a request of the server: GET of a resource with a text
// value (registering the observation when asked), writes and executes with
// 2.04, anything else 4.04.
func (f *fleet) respond(d *device, m *msg) []byte {
	f.requestsServed.Add(1)
	a := msg{typ: typeACK, mid: m.mid, token: m.token, code: codeNotFnd}
	p := m.path()
	switch m.code {
	case codeGET:
		if segments(p) != 3 {
			break
		}
		a.code = codeContent
		if obs := optionValue(m, optObserve); obs != nil {
			if len(obs) == 0 { // register
				d.obsTok, d.obsPath = append([]byte(nil), m.token...), p
				d.obsSeq = 2
				a.opts = append(a.opts, option{num: optObserve, val: uintOpt(d.obsSeq)})
			} else if d.obsPath == p {
				d.obsTok = nil
			}
		}
		a.opts = append(a.opts, option{num: optContentFormat, val: nil})
		a.payload = []byte("21.5")
	case codePOST, codePUT:
		a.code = codeChanged
	}
	return a.encode(nil)
}

func optionValue(m *msg, num uint16) []byte {
	for _, o := range m.opts {
		if o.num == num {
			if o.val == nil {
				return []byte{}
			}
			return o.val
		}
	}
	return nil
}

func segments(p string) int {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			n++
		}
	}
	return n
}
