package loadgen

import (
	"fmt"
	"sync/atomic"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// isAnswer reports whether msg acknowledges the device's request in
// flight (an ACK or RST with its message id).
func isAnswer(d *Device, msg []byte) bool {
	return len(msg) >= 4 && msg[0]>>4&3 >= 2 && uint16(msg[2])<<8|uint16(msg[3]) == d.mid && d.pending != nil
}

func encode(m *coap.Message) []byte {
	b, err := m.Encode()
	if err != nil {
		panic(err) // the phases build only valid messages
	}
	return b
}

// Register has every device register once (ep=<Prefix><index>) and stores
// its registration id. Failed registrations are counted in Failed.
type Register struct {
	Prefix   string
	Links    string
	Query    []string
	Failed   atomic.Int64
	LastCode atomic.Uint32
}

// First implements Phase.
func (r *Register) First(d *Device) []byte {
	m := coap.NewRequest(coap.POST, "rd")
	m.MessageID = d.NextMID()
	m.Token, _ = coap.TokenFromBytes(d.NextToken())
	m.AddQuery(fmt.Sprintf("ep=%s%d", r.Prefix, d.Index))
	m.AddQuery(r.Query...)
	m.SetContentFormat(lwm2m.FormatLinkFormat)
	m.Payload = []byte(r.Links)
	return encode(m)
}

// Handle implements Phase.
func (r *Register) Handle(d *Device, msg []byte) ([]byte, bool, bool) {
	if !isAnswer(d, msg) {
		return nil, false, false
	}
	m, err := coap.Decode(msg)
	if err != nil {
		r.Failed.Add(1)
		return nil, true, false
	}
	r.LastCode.Store(uint32(m.Code))
	if lp := m.LocationPath(); m.Code == lwm2m.CodeCreated && len(lp) == 2 {
		d.RegID = lp[1]
	} else {
		r.Failed.Add(1)
	}
	return nil, true, false
}

// Update has every device send Registration Updates back to back (POST
// /rd/<id>, no parameters) until stop says enough.
type Update struct {
	Failed atomic.Int64
	stop   atomic.Bool
}

// Stop makes devices stop after their current Update.
func (u *Update) Stop() { u.stop.Store(true) }

func (u *Update) next(d *Device) []byte {
	if d.tmpl == nil {
		m := coap.NewRequest(coap.POST, "rd", d.RegID)
		m.Token, _ = coap.TokenFromBytes(d.NextToken())
		d.tmpl = encode(m)
	}
	mid := d.NextMID()
	d.tmpl[2], d.tmpl[3] = byte(mid>>8), byte(mid)
	return d.tmpl
}

// First implements Phase.
func (u *Update) First(d *Device) []byte {
	if d.RegID == "" {
		return nil
	}
	return u.next(d)
}

// Handle implements Phase.
func (u *Update) Handle(d *Device, msg []byte) ([]byte, bool, bool) {
	if !isAnswer(d, msg) {
		return nil, false, false
	}
	if msg[1] != byte(lwm2m.CodeChanged) {
		u.Failed.Add(1)
	}
	if u.stop.Load() {
		return nil, true, false
	}
	return u.next(d), true, true
}

// Observed answers the server's observe requests (GET with Observe=0)
// with 2.05 and a SenML CBOR value, and remembers the token. Each
// answered observation counts as completed.
type Observed struct {
	Payload []byte // the SenML CBOR notification body
}

// First implements Phase.
func (o *Observed) First(*Device) []byte { return nil }

// Handle implements Phase.
func (o *Observed) Handle(d *Device, msg []byte) ([]byte, bool, bool) {
	m, err := coap.Decode(msg)
	if err != nil || m.Code != coap.GET || m.Type != coap.Confirmable {
		return nil, false, false
	}
	v, ok := m.Observe()
	if !ok || v != 0 {
		return nil, false, false
	}
	d.ObsToken = m.Token.Bytes()
	d.ObsSeq = 1
	r := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: m.MessageID, Token: m.Token, Payload: o.Payload}
	r.SetObserve(1)
	r.SetContentFormat(lwm2m.FormatSenMLCBOR)
	return encode(r), true, false
}

// Notify has every observed device send confirmable notifications back to
// back; the server's ACK completes one.
type Notify struct {
	Payload []byte
	Reset   atomic.Int64
	stop    atomic.Bool
}

// Stop makes devices stop after their current notification.
func (n *Notify) Stop() { n.stop.Store(true) }

func (n *Notify) next(d *Device) []byte {
	if d.tmpl == nil {
		tok, _ := coap.TokenFromBytes(d.ObsToken)
		m := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, Token: tok, Payload: n.Payload}
		m.Options = m.Options.Set(coap.OptObserve, []byte{0, 0, 0}) // 3 bytes, patched in place
		m.SetContentFormat(lwm2m.FormatSenMLCBOR)
		d.tmpl = encode(m)
	}
	mid := d.NextMID()
	d.ObsSeq++
	t := d.tmpl
	t[2], t[3] = byte(mid>>8), byte(mid)
	// Observe is the first option: header, token, then delta-6 length-3.
	o := 4 + len(d.ObsToken) + 1
	t[o], t[o+1], t[o+2] = byte(d.ObsSeq>>16), byte(d.ObsSeq>>8), byte(d.ObsSeq)
	return t
}

// First implements Phase.
func (n *Notify) First(d *Device) []byte {
	if d.ObsToken == nil {
		return nil
	}
	d.tmpl = nil
	return n.next(d)
}

// Handle implements Phase.
func (n *Notify) Handle(d *Device, msg []byte) ([]byte, bool, bool) {
	if !isAnswer(d, msg) {
		return nil, false, false
	}
	if msg[0]>>4&3 == 3 {
		n.Reset.Add(1)
	}
	if n.stop.Load() {
		return nil, true, false
	}
	return n.next(d), true, true
}
