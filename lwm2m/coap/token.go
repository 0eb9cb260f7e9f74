package coap

import (
	"encoding/hex"
	"fmt"
)

// MaxTokenLen is the longest token RFC 7252 allows.
const MaxTokenLen = 8

// Token is a CoAP token of 0 to 8 bytes. It is comparable, so it can key a
// map; the zero value is the empty token.
type Token struct {
	b [MaxTokenLen]byte
	n uint8
}

// TokenFromBytes copies b into a Token; more than 8 bytes is an error.
func TokenFromBytes(b []byte) (Token, error) {
	var t Token
	if len(b) > MaxTokenLen {
		return t, fmt.Errorf("coap: token of %d bytes, at most %d allowed", len(b), MaxTokenLen)
	}
	copy(t.b[:], b)
	t.n = uint8(len(b))
	return t, nil
}

// ParseToken parses the hex form String returns.
func ParseToken(s string) (Token, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return Token{}, fmt.Errorf("coap: token %q: %w", s, err)
	}
	return TokenFromBytes(b)
}

// Bytes returns a copy of the token bytes.
func (t Token) Bytes() []byte { return append([]byte(nil), t.b[:t.n]...) }

// Len returns the token length.
func (t Token) Len() int { return int(t.n) }

// IsZero reports an empty token.
func (t Token) IsZero() bool { return t.n == 0 }

// String returns the token in hex ("" for the empty token).
func (t Token) String() string { return hex.EncodeToString(t.b[:t.n]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (t *Token) UnmarshalText(b []byte) error {
	v, err := ParseToken(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
