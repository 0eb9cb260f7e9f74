package main

import (
	"strconv"
	"sync/atomic"
	"time"
)

// registerPhase sends each device's Register once (LwM2M 1.1, UDP binding).
type registerPhase struct {
	lifetime int
}

func (r registerPhase) next(d *device) []byte {
	if d.loc != nil {
		return nil
	}
	m := msg{typ: typeCON, code: codePOST, mid: d.nextMID(), token: d.nextToken()}
	m.opts = append(pathOpts("rd"), option{num: optContentFormat, val: uintOpt(40)})
	m.opts = append(m.opts, queryOpts("ep="+d.ep, "lt="+strconv.Itoa(r.lifetime), "lwm2m=1.1", "b=U")...)
	m.payload = []byte("</1/0>,</3/0>,</3303/0>")
	return m.encode(nil)
}

func (registerPhase) cyclic() bool { return false }

func (registerPhase) answered(d *device, m *msg) {
	if m.code == codeCreated {
		var loc []string
		for _, o := range m.opts {
			if o.num == optLocationPath {
				loc = append(loc, string(o.val))
			}
		}
		d.loc = loc
	}
}

// updatePhase sends Registration Updates (no payload) over and over. With
// echo set it targets a fixed path (the echo responder registers nothing).
type updatePhase struct{ echo bool }

func (u updatePhase) next(d *device) []byte {
	loc := d.loc
	if u.echo {
		loc = []string{"rd", strconv.Itoa(d.idx)}
	}
	if loc == nil {
		return nil
	}
	m := msg{typ: typeCON, code: codePOST, mid: d.nextMID(), token: d.nextToken(), opts: pathOpts(loc...)}
	return m.encode(nil)
}

func (updatePhase) cyclic() bool           { return true }
func (updatePhase) answered(*device, *msg) {}

// notifyPhase sends CON notifications of the observed resource, a text
// value, as fast as they are acknowledged. It notes when each went out, in
// order, so the time to storage can be read off the database's row count.
type notifyPhase struct {
	sent  *atomic.Int64
	times []int64 // unix nanoseconds of the n-th notification's first send
}

func (n notifyPhase) next(d *device) []byte {
	if d.obsTok == nil {
		return nil
	}
	d.obsSeq++
	i := n.sent.Add(1) - 1
	if i < int64(len(n.times)) {
		n.times[i] = time.Now().UnixNano()
	}
	m := msg{typ: typeCON, code: codeContent, mid: d.nextMID(), token: d.obsTok}
	m.opts = []option{{num: optObserve, val: uintOpt(d.obsSeq & 0xffffff)}, {num: optContentFormat}}
	m.payload = strconv.AppendFloat(nil, 20+float64(d.obsSeq%100)/10, 'f', 1, 64)
	return m.encode(nil)
}

func (notifyPhase) cyclic() bool           { return true }
func (notifyPhase) answered(*device, *msg) {}
