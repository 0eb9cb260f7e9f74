package lwm2m

import (
	"encoding/json"
	"fmt"
	"time"
)

// Operation is a device-management or information-reporting operation the
// server sends to a device.
type Operation uint8

// Downlink operations (Core TS 1.1/1.2 §6.3, §6.4).
const (
	OpRead Operation = iota + 1
	OpDiscover
	OpWrite       // Write, replace (CoAP PUT)
	OpWriteUpdate // Write, partial update (CoAP POST / iPATCH for composite)
	OpWriteAttributes
	OpExecute
	OpCreate
	OpDelete
	OpReadComposite
	OpWriteComposite
	OpObserve
	OpCancelObserve
	OpObserveComposite
	OpCancelObserveComposite
)

var opNames = [...]string{
	OpRead: "read", OpDiscover: "discover", OpWrite: "write", OpWriteUpdate: "write-update",
	OpWriteAttributes: "write-attributes", OpExecute: "execute", OpCreate: "create",
	OpDelete: "delete", OpReadComposite: "read-composite", OpWriteComposite: "write-composite",
	OpObserve: "observe", OpCancelObserve: "cancel-observe",
	OpObserveComposite: "observe-composite", OpCancelObserveComposite: "cancel-observe-composite",
}

// String returns the name used in JSON and the CLI ("write-attributes").
func (o Operation) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// ParseOperation parses the names String returns.
func ParseOperation(s string) (Operation, error) {
	for i, n := range opNames {
		if n != "" && n == s {
			return Operation(i), nil
		}
	}
	return 0, fmt.Errorf("unknown operation %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (o Operation) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Operation) UnmarshalText(b []byte) error {
	v, err := ParseOperation(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// IsComposite reports whether o addresses several paths at once.
func (o Operation) IsComposite() bool {
	switch o {
	case OpReadComposite, OpWriteComposite, OpObserveComposite, OpCancelObserveComposite:
		return true
	}
	return false
}

// Request is one downlink operation. It is plain data so it can be queued
// durably and replayed: the server turns it into CoAP only when it sends.
type Request struct {
	Op   Operation `json:"op"`
	Path Path      `json:"path"`
	// Paths are the targets of Read-Composite, Observe-Composite and its cancel.
	Paths []Path `json:"paths,omitempty"`
	// Format is the payload format of a Write, Create or Write-Composite, or
	// the format asked for in a Read or Observe. FormatNone lets the server
	// choose from what the device announced.
	Format ContentFormat `json:"format"`
	// Content is the payload of Write (the node at Path) and Create (an
	// instance node; its ID is the requested instance id unless NoInstanceID).
	Content *Node `json:"content,omitempty"`
	// NoInstanceID asks the device to choose the new instance id on Create.
	NoInstanceID bool `json:"no_instance_id,omitempty"`
	// Records are the values of a Write-Composite.
	Records    []Record   `json:"records,omitempty"`
	Attributes Attributes `json:"attributes,omitzero"`
	// Args are the Execute arguments, e.g. `0='v',1`.
	Args string `json:"args,omitempty"`
	// Timeout overrides the server's per-request timeout when non-zero.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// NewRequest returns a request for op at p with the format left to the
// server.
func NewRequest(op Operation, p Path) Request {
	return Request{Op: op, Path: p, Format: FormatNone}
}

// UnmarshalJSON defaults a missing format to FormatNone.
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	p := plain{Format: FormatNone}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Request(p)
	return nil
}

// Validate checks that the operation, path depth and payload fit together,
// as far as that can be known without the device.
func (r *Request) Validate() error {
	depth := r.Path.Len()
	bad := func(what string) error {
		return fmt.Errorf("%s on %s: %s", r.Op, r.Path, what)
	}
	switch r.Op {
	case OpRead, OpObserve, OpCancelObserve:
		if depth == 0 {
			return bad("needs an object, instance, resource or resource-instance path")
		}
	case OpDiscover:
		if depth == 0 || depth == 4 {
			return bad("needs an object, instance or resource path")
		}
	case OpWrite, OpWriteUpdate:
		if depth < 2 {
			return bad("needs an instance, resource or resource-instance path")
		}
		if r.Content == nil {
			return bad("has no content")
		}
		if err := r.Content.Validate(r.Path); err != nil {
			return err
		}
	case OpWriteAttributes:
		if depth == 0 {
			return bad("needs an object, instance, resource or resource-instance path")
		}
		if r.Attributes.IsZero() {
			return bad("sets no attributes")
		}
		if err := r.Attributes.Validate(); err != nil {
			return bad(err.Error())
		}
	case OpExecute:
		if depth != 3 {
			return bad("needs a resource path")
		}
	case OpCreate:
		if depth != 1 {
			return bad("needs an object path")
		}
		if r.Content != nil {
			if r.Content.Kind != KindInstance {
				return bad("content must be an object instance")
			}
			if err := r.Content.Validate(r.Path.Child(r.Content.ID)); err != nil {
				return err
			}
		}
	case OpDelete:
		if depth != 2 {
			return bad("needs an instance path")
		}
	case OpReadComposite, OpObserveComposite, OpCancelObserveComposite:
		if len(r.Paths) == 0 {
			return bad("names no paths")
		}
		for _, p := range r.Paths {
			if p.IsRoot() {
				return bad("a composite target cannot be the root")
			}
		}
	case OpWriteComposite:
		if len(r.Records) == 0 {
			return bad("has no values")
		}
		for _, rec := range r.Records {
			if rec.Path.Len() < 3 {
				return bad(fmt.Sprintf("value at %s needs a resource or resource-instance path", rec.Path))
			}
		}
	default:
		return fmt.Errorf("unknown operation %d", r.Op)
	}
	return nil
}

// Response is a device's answer to a Request, decoded as far as the format
// allows.
type Response struct {
	Code    Code          `json:"code"`
	Format  ContentFormat `json:"format"`
	Payload []byte        `json:"payload,omitempty"`
	// Content is the decoded node of a single-path Read or Observe.
	Content *Node `json:"content,omitempty"`
	// Records are the decoded values of a composite operation, or of a
	// notification with timestamps.
	Records []Record `json:"records,omitempty"`
	// Links is the decoded Discover answer.
	Links []Link `json:"links,omitempty"`
	// Location is the path of the instance a Create made.
	Location Path `json:"location,omitzero"`
}

// Err returns a *Status for an error code, nil for success.
func (r *Response) Err() error {
	if r.Code.IsSuccess() {
		return nil
	}
	reason := ""
	if r.Format == FormatText || r.Format == FormatNone {
		reason = string(r.Payload)
	}
	return &Status{Code: r.Code, Reason: reason}
}
