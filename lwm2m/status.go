package lwm2m

import (
	"errors"
	"fmt"
)

// Code is a CoAP response code: class in the top three bits, detail in the
// low five (2.05 is 0x45).
type Code uint8

// MakeCode builds class.detail.
func MakeCode(class, detail uint8) Code { return Code(class<<5 | detail&0x1f) }

// CoAP response codes LwM2M uses (RFC 7252 §12.1.2, RFC 7959, RFC 8132).
const (
	CodeEmpty                    Code = 0
	CodeCreated                  Code = 2<<5 | 1
	CodeDeleted                  Code = 2<<5 | 2
	CodeValid                    Code = 2<<5 | 3
	CodeChanged                  Code = 2<<5 | 4
	CodeContent                  Code = 2<<5 | 5
	CodeContinue                 Code = 2<<5 | 31
	CodeBadRequest               Code = 4<<5 | 0
	CodeUnauthorized             Code = 4<<5 | 1
	CodeBadOption                Code = 4<<5 | 2
	CodeForbidden                Code = 4<<5 | 3
	CodeNotFound                 Code = 4<<5 | 4
	CodeMethodNotAllowed         Code = 4<<5 | 5
	CodeNotAcceptable            Code = 4<<5 | 6
	CodeRequestEntityIncomplete  Code = 4<<5 | 8
	CodeConflict                 Code = 4<<5 | 9
	CodePreconditionFailed       Code = 4<<5 | 12
	CodeRequestEntityTooLarge    Code = 4<<5 | 13
	CodeUnsupportedContentFormat Code = 4<<5 | 15
	CodeInternalServerError      Code = 5<<5 | 0
	CodeNotImplemented           Code = 5<<5 | 1
	CodeBadGateway               Code = 5<<5 | 2
	CodeServiceUnavailable       Code = 5<<5 | 3
	CodeGatewayTimeout           Code = 5<<5 | 4
)

var codeText = map[Code]string{
	CodeCreated: "Created", CodeDeleted: "Deleted", CodeValid: "Valid", CodeChanged: "Changed",
	CodeContent: "Content", CodeContinue: "Continue", CodeBadRequest: "Bad Request",
	CodeUnauthorized: "Unauthorized", CodeBadOption: "Bad Option", CodeForbidden: "Forbidden",
	CodeNotFound: "Not Found", CodeMethodNotAllowed: "Method Not Allowed",
	CodeNotAcceptable: "Not Acceptable", CodeRequestEntityIncomplete: "Request Entity Incomplete",
	CodeConflict: "Conflict", CodePreconditionFailed: "Precondition Failed",
	CodeRequestEntityTooLarge:    "Request Entity Too Large",
	CodeUnsupportedContentFormat: "Unsupported Content-Format",
	CodeInternalServerError:      "Internal Server Error", CodeNotImplemented: "Not Implemented",
	CodeBadGateway: "Bad Gateway", CodeServiceUnavailable: "Service Unavailable",
	CodeGatewayTimeout: "Gateway Timeout",
}

// Class returns 2, 4 or 5 for responses.
func (c Code) Class() uint8 { return uint8(c) >> 5 }

// Detail returns the two-digit detail.
func (c Code) Detail() uint8 { return uint8(c) & 0x1f }

// IsSuccess reports a 2.xx code.
func (c Code) IsSuccess() bool { return c.Class() == 2 }

// String returns "2.05".
func (c Code) String() string { return fmt.Sprintf("%d.%02d", c.Class(), c.Detail()) }

// Text returns the reason phrase ("Not Found"), or "" for unknown codes.
func (c Code) Text() string { return codeText[c] }

// MarshalText implements encoding.TextMarshaler ("4.04").
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses "4.04".
func (c *Code) UnmarshalText(b []byte) error {
	var class, detail uint8
	if _, err := fmt.Sscanf(string(b), "%d.%d", &class, &detail); err != nil || class > 7 || detail > 31 {
		return fmt.Errorf("invalid CoAP code %q", b)
	}
	*c = MakeCode(class, detail)
	return nil
}

// Status is a CoAP response code with a diagnostic reason. It implements
// error so protocol code can return "4.04: no such instance" and the edge
// turns it into a wire code (or HTTP problem) exactly once.
type Status struct {
	Code   Code
	Reason string
}

// Error returns "4.04 Not Found: reason".
func (s *Status) Error() string {
	t := s.Code.Text()
	switch {
	case t == "" && s.Reason == "":
		return s.Code.String()
	case t == "":
		return s.Code.String() + ": " + s.Reason
	case s.Reason == "":
		return s.Code.String() + " " + t
	}
	return s.Code.String() + " " + t + ": " + s.Reason
}

// Is makes errors.Is(err, &Status{Code: c}) match on the code alone.
func (s *Status) Is(target error) bool {
	t, ok := target.(*Status)
	return ok && t.Code == s.Code && (t.Reason == "" || t.Reason == s.Reason)
}

// Errorf returns a *Status with a formatted reason.
func Errorf(c Code, format string, args ...any) error {
	return &Status{Code: c, Reason: fmt.Sprintf(format, args...)}
}

// StatusCode returns the code of the first *Status in err's chain.
func StatusCode(err error) (Code, bool) {
	var s *Status
	if errors.As(err, &s) {
		return s.Code, true
	}
	return 0, false
}
