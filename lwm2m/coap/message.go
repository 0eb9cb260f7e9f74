package coap

import (
	"fmt"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Type is the CoAP message type (RFC 7252 §3).
type Type uint8

// Message types.
const (
	Confirmable     Type = 0
	NonConfirmable  Type = 1
	Acknowledgement Type = 2
	Reset           Type = 3
)

var typeNames = [...]string{"CON", "NON", "ACK", "RST"}

// String returns "CON", "NON", "ACK" or "RST".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Request method codes (RFC 7252 §12.1.1, RFC 8132). Response codes are the
// lwm2m.Code constants.
const (
	GET    lwm2m.Code = 1
	POST   lwm2m.Code = 2
	PUT    lwm2m.Code = 3
	DELETE lwm2m.Code = 4
	FETCH  lwm2m.Code = 5
	PATCH  lwm2m.Code = 6
	IPATCH lwm2m.Code = 7
)

// IsRequest reports whether c is a method code (class 0, detail 1..31).
func IsRequest(c lwm2m.Code) bool { return c.Class() == 0 && c != lwm2m.CodeEmpty }

// IsResponse reports whether c is a response code (class 2..5).
func IsResponse(c lwm2m.Code) bool { return c.Class() >= 2 && c.Class() <= 5 }

// MethodName returns "GET", "POST", …, or the dotted code.
func MethodName(c lwm2m.Code) string {
	switch c {
	case GET:
		return "GET"
	case POST:
		return "POST"
	case PUT:
		return "PUT"
	case DELETE:
		return "DELETE"
	case FETCH:
		return "FETCH"
	case PATCH:
		return "PATCH"
	case IPATCH:
		return "iPATCH"
	}
	return c.String()
}

// Message is one CoAP message: a request, a response, an empty ACK/RST or a
// ping. Options are kept sorted by number. Payload and option values may
// alias the datagram a message was decoded from; copy them to keep them
// beyond a handler call.
type Message struct {
	Type      Type
	Code      lwm2m.Code
	MessageID uint16
	Token     Token
	Options   Options
	Payload   []byte

	// AfterSend, on a response a Handler returns, runs once the engine
	// has written the response datagram (or failed to), in the goroutine
	// that handled the request: the place for work that must not reach
	// the peer before its answer, e.g. telling listeners about a
	// registration whose 2.01 has to arrive before their requests. It is
	// ignored on requests and on messages not returned by a Handler, and
	// not carried by Clone.
	AfterSend func()

	// optBuf backs Options of decoded messages with few options, saving
	// an allocation per datagram.
	optBuf [6]Option
}

// NewRequest returns a confirmable request with the given method and
// Uri-Path segments.
func NewRequest(method lwm2m.Code, path ...string) *Message {
	m := &Message{Type: Confirmable, Code: method}
	m.SetPath(path...)
	return m
}

// NewResponse returns a response with the given code and payload; the
// engine fills type, message id and token.
func NewResponse(code lwm2m.Code, payload []byte) *Message {
	return &Message{Code: code, Payload: payload}
}

// ErrorResponse returns a response carrying a diagnostic payload
// (text/plain), the way RFC 7252 §5.5.2 describes.
func ErrorResponse(code lwm2m.Code, format string, args ...any) *Message {
	m := &Message{Code: code, Payload: []byte(fmt.Sprintf(format, args...))}
	return m
}

// Clone returns a deep copy of m that aliases nothing.
func (m *Message) Clone() *Message {
	c := *m
	c.optBuf = [6]Option{}
	c.AfterSend = nil
	c.Options = m.Options.Clone()
	if m.Payload != nil {
		c.Payload = append([]byte(nil), m.Payload...)
	}
	return &c
}

// IsRequest reports whether m carries a method code.
func (m *Message) IsRequest() bool { return IsRequest(m.Code) }

// IsResponse reports whether m carries a response code.
func (m *Message) IsResponse() bool { return IsResponse(m.Code) }

// IsEmpty reports an empty message (code 0.00): an ACK, RST or ping.
func (m *Message) IsEmpty() bool { return m.Code == lwm2m.CodeEmpty }

// Path returns the Uri-Path segments.
func (m *Message) Path() []string { return m.Options.Strings(OptURIPath) }

// PathString returns the Uri-Path as "/a/b" ("/" when there is none).
func (m *Message) PathString() string {
	segs := m.Path()
	if len(segs) == 0 {
		return "/"
	}
	return "/" + strings.Join(segs, "/")
}

// PathLen returns the number of Uri-Path segments.
func (m *Message) PathLen() int {
	n := 0
	for _, o := range m.Options {
		if o.ID == OptURIPath {
			n++
		}
	}
	return n
}

// PathSegment returns Uri-Path segment i without copying it (valid while
// the message is).
func (m *Message) PathSegment(i int) ([]byte, bool) {
	for _, o := range m.Options {
		if o.ID == OptURIPath {
			if i == 0 {
				return o.Value, true
			}
			i--
		}
	}
	return nil, false
}

// SetPath replaces the Uri-Path with segs.
func (m *Message) SetPath(segs ...string) {
	m.Options = m.Options.Remove(OptURIPath)
	for _, s := range segs {
		m.Options = m.Options.Add(OptURIPath, []byte(s))
	}
}

// Query returns the Uri-Query values.
func (m *Message) Query() []string { return m.Options.Strings(OptURIQuery) }

// AddQuery appends Uri-Query values.
func (m *Message) AddQuery(q ...string) {
	for _, s := range q {
		m.Options = m.Options.Add(OptURIQuery, []byte(s))
	}
}

// LocationPath returns the Location-Path segments.
func (m *Message) LocationPath() []string { return m.Options.Strings(OptLocationPath) }

// SetLocationPath replaces the Location-Path with segs.
func (m *Message) SetLocationPath(segs ...string) {
	m.Options = m.Options.Remove(OptLocationPath)
	for _, s := range segs {
		m.Options = m.Options.Add(OptLocationPath, []byte(s))
	}
}

// ContentFormat returns the Content-Format, or lwm2m.FormatNone.
func (m *Message) ContentFormat() lwm2m.ContentFormat {
	v, ok := m.Options.Uint(OptContentFormat)
	if !ok {
		return lwm2m.FormatNone
	}
	return lwm2m.ContentFormat(v)
}

// SetContentFormat sets the Content-Format; FormatNone removes it.
func (m *Message) SetContentFormat(f lwm2m.ContentFormat) {
	if f == lwm2m.FormatNone {
		m.Options = m.Options.Remove(OptContentFormat)
		return
	}
	m.Options = m.Options.SetUint(OptContentFormat, uint32(f))
}

// Accept returns the Accept option, or lwm2m.FormatNone.
func (m *Message) Accept() lwm2m.ContentFormat {
	v, ok := m.Options.Uint(OptAccept)
	if !ok {
		return lwm2m.FormatNone
	}
	return lwm2m.ContentFormat(v)
}

// SetAccept sets the Accept option; FormatNone removes it.
func (m *Message) SetAccept(f lwm2m.ContentFormat) {
	if f == lwm2m.FormatNone {
		m.Options = m.Options.Remove(OptAccept)
		return
	}
	m.Options = m.Options.SetUint(OptAccept, uint32(f))
}

// Observe returns the Observe option value (RFC 7641).
func (m *Message) Observe() (uint32, bool) { return m.Options.Uint(OptObserve) }

// SetObserve sets the Observe option (0 registers, 1 deregisters in a
// request; a sequence number in a notification).
func (m *Message) SetObserve(v uint32) { m.Options = m.Options.SetUint(OptObserve, v&0xffffff) }

// Block1 returns the Block1 option.
func (m *Message) Block1() (Block, bool) { return m.block(OptBlock1) }

// Block2 returns the Block2 option.
func (m *Message) Block2() (Block, bool) { return m.block(OptBlock2) }

// SetBlock1 sets the Block1 option.
func (m *Message) SetBlock1(b Block) { m.Options = m.Options.SetUint(OptBlock1, b.value()) }

// SetBlock2 sets the Block2 option.
func (m *Message) SetBlock2(b Block) { m.Options = m.Options.SetUint(OptBlock2, b.value()) }

func (m *Message) block(id OptionID) (Block, bool) {
	v, ok := m.Options.Uint(id)
	if !ok {
		return Block{}, false
	}
	b, err := parseBlock(v)
	if err != nil {
		return Block{}, false
	}
	return b, true
}

// String summarises m for logs: "CON GET mid=12 tok=a1b2 /rd?ep=x".
func (m *Message) String() string {
	var sb strings.Builder
	sb.WriteString(m.Type.String())
	sb.WriteByte(' ')
	if m.IsRequest() {
		sb.WriteString(MethodName(m.Code))
	} else {
		sb.WriteString(m.Code.String())
	}
	fmt.Fprintf(&sb, " mid=%d", m.MessageID)
	if !m.Token.IsZero() {
		sb.WriteString(" tok=" + m.Token.String())
	}
	if p := m.Path(); len(p) > 0 {
		sb.WriteString(" /" + strings.Join(p, "/"))
	}
	if q := m.Query(); len(q) > 0 {
		sb.WriteString("?" + strings.Join(q, "&"))
	}
	if len(m.Payload) > 0 {
		fmt.Fprintf(&sb, " %dB", len(m.Payload))
	}
	return sb.String()
}
