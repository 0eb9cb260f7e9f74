package coap

import (
	"errors"
	"fmt"

	gcmsg "github.com/plgd-dev/go-coap/v3/message"
	gccodes "github.com/plgd-dev/go-coap/v3/message/codes"
	"github.com/plgd-dev/go-coap/v3/udp/coder"

	"github.com/shoal-iot/shoal/lwm2m"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed CoAP message")

// maxOptions bounds the options one message may carry; more is treated as
// malformed (no LwM2M message comes near it).
const maxOptions = 64

// DecodeError says what is wrong with a datagram and at which byte offset.
// Header reports whether type and message id were readable, so a
// confirmable message can still be answered with RST or 4.00.
type DecodeError struct {
	Offset    int
	Msg       string
	Header    bool
	Type      Type
	MessageID uint16
	Code      lwm2m.Code
	Token     Token
	HasToken  bool
}

// Error returns "coap: byte 4: token truncated".
func (e *DecodeError) Error() string { return fmt.Sprintf("coap: byte %d: %s", e.Offset, e.Msg) }

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

// Decode parses one CoAP-over-UDP datagram (RFC 7252 §3). The message
// aliases data; the caller must not reuse data while the message is in use.
// Option syntax is decoded by go-coap's coder; Decode adds the checks and
// byte offsets Shoal reports.
func Decode(data []byte) (*Message, error) {
	m := new(Message)
	if err := decodeInto(m, data); err != nil {
		return nil, err
	}
	return m, nil
}

func decodeInto(m *Message, data []byte) error {
	if len(data) < 4 {
		return &DecodeError{Offset: 0, Msg: fmt.Sprintf("datagram of %d bytes is shorter than the 4-byte header", len(data))}
	}
	e := &DecodeError{Header: true, Type: Type(data[0] >> 4 & 3), MessageID: uint16(data[2])<<8 | uint16(data[3]), Code: lwm2m.Code(data[1])}
	if v := data[0] >> 6; v != 1 {
		e.Header = false
		e.Msg = fmt.Sprintf("version %d, want 1", v)
		return e
	}
	tkl := int(data[0] & 0xf)
	if tkl > MaxTokenLen {
		e.Msg = fmt.Sprintf("token length %d is reserved (at most 8)", tkl)
		return e
	}
	if len(data) < 4+tkl {
		e.Offset = 4
		e.Msg = fmt.Sprintf("token of %d bytes truncated (%d left)", tkl, len(data)-4)
		return e
	}
	tok, _ := TokenFromBytes(data[4 : 4+tkl])
	e.Token, e.HasToken = tok, true
	if e.Code == lwm2m.CodeEmpty && len(data) != 4 {
		e.Offset = 4
		e.Msg = "an empty message (code 0.00) must end after the header"
		return e
	}
	if c := e.Code.Class(); c == 1 || c == 6 || c == 7 {
		e.Offset = 1
		e.Msg = fmt.Sprintf("code %s has a reserved class", e.Code)
		return e
	}
	var buf [maxOptions]gcmsg.Option
	opts := gcmsg.Options(buf[:0])
	n, err := opts.Unmarshal(data[4+tkl:], gcmsg.CoapOptionDefs)
	if err != nil {
		e.Offset = 4 + tkl
		if errors.Is(err, gcmsg.ErrOptionsTooSmall) {
			e.Msg = fmt.Sprintf("more than %d options", maxOptions)
		} else {
			e.Msg = "options: " + err.Error()
		}
		return e
	}
	m.Type, m.Code, m.MessageID, m.Token = e.Type, e.Code, e.MessageID, tok
	if len(opts) <= len(m.optBuf) {
		m.Options = m.optBuf[:len(opts)]
	} else {
		m.Options = make(Options, len(opts))
	}
	for i, o := range opts {
		m.Options[i] = Option{ID: OptionID(o.ID), Value: o.Value}
	}
	if rest := data[4+tkl+n:]; len(rest) > 0 {
		m.Payload = rest
	} else {
		m.Payload = nil
	}
	return nil
}

// Encode returns the wire form of m.
func (m *Message) Encode() ([]byte, error) { return m.AppendEncode(nil) }

// AppendEncode appends the wire form of m to dst.
func (m *Message) AppendEncode(dst []byte) ([]byte, error) {
	var buf [maxOptions]gcmsg.Option
	opts := gcmsg.Options(buf[:0])
	if len(m.Options) > maxOptions {
		opts = make(gcmsg.Options, 0, len(m.Options))
	}
	for i, o := range m.Options {
		if i > 0 && o.ID < m.Options[i-1].ID {
			return dst, fmt.Errorf("coap: encode: options out of order (%d after %d)", o.ID, m.Options[i-1].ID)
		}
		opts = append(opts, gcmsg.Option{ID: gcmsg.OptionID(o.ID), Value: o.Value})
	}
	gm := gcmsg.Message{
		Token:     m.Token.b[:m.Token.n],
		Options:   opts,
		Code:      gccodes.Code(m.Code),
		Payload:   m.Payload,
		MessageID: int32(m.MessageID),
		Type:      gcmsg.Type(m.Type),
	}
	if m.Token.n == 0 {
		gm.Token = nil
	}
	size, err := coder.DefaultCoder.Size(gm)
	if err != nil {
		return dst, fmt.Errorf("coap: encode %s: %w", m, err)
	}
	start := len(dst)
	dst = append(dst, make([]byte, size)...)
	if _, err := coder.DefaultCoder.Encode(gm, dst[start:]); err != nil {
		return dst[:start], fmt.Errorf("coap: encode %s: %w", m, err)
	}
	return dst, nil
}
