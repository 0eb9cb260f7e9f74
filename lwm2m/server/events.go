package server

import (
	"context"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Listener receives the server's events, one at a time and in order, from
// a single goroutine. Methods must return quickly: to send requests to a
// device (e.g. to re-observe after Registered), start a goroutine. Embed
// NopListener to implement only some methods.
type Listener interface {
	// Registered: a new registration; Replaced is the registration it
	// replaced, if the endpoint was registered. Observations of the old
	// registration are gone: re-create them here.
	Registered(r Registration, replaced *Registration)
	Updated(u Update)
	Deregistered(r Registration)
	Expired(r Registration)
	// Awake and Asleep track queue-mode devices.
	Awake(endpoint string)
	Asleep(endpoint string)
	Notification(n Notification)
	Sent(s SendEvent)
	Operation(o OperationEvent)
	Security(s SecurityEvent)
}

// NopListener ignores every event.
type NopListener struct{}

func (NopListener) Registered(Registration, *Registration) {}
func (NopListener) Updated(Update)                         {}
func (NopListener) Deregistered(Registration)              {}
func (NopListener) Expired(Registration)                   {}
func (NopListener) Awake(string)                           {}
func (NopListener) Asleep(string)                          {}
func (NopListener) Notification(Notification)              {}
func (NopListener) Sent(SendEvent)                         {}
func (NopListener) Operation(OperationEvent)               {}
func (NopListener) Security(SecurityEvent)                 {}

// Update describes a Registration Update: the registration after it, and
// which parameters it carried.
type Update struct {
	Registration Registration
	// Changed names the parameters the Update carried: "lt", "b", "sms",
	// "Q", "objects"; empty for a bare refresh. AddressChanged reports a new
	// source address.
	Changed        []string
	AddressChanged bool
}

// Notification is a decoded notification for one of the server's
// observations.
type Notification struct {
	Endpoint    string
	Observation Observation
	// Sequence is the Observe option value.
	Sequence uint32
	Format   lwm2m.ContentFormat
	// Content is the node at the observed path (single-path observations
	// whose values carry no timestamps).
	Content *lwm2m.Node
	// Records are every value with its full path and time; values the
	// device sent without a timestamp carry ReceivedAt.
	Records    []lwm2m.Record
	ReceivedAt time.Time
}

// SendEvent is data a device pushed with the Send operation (/dp).
type SendEvent struct {
	Endpoint   string
	Format     lwm2m.ContentFormat
	Records    []lwm2m.Record // timestamped; untimestamped values carry ReceivedAt
	ReceivedAt time.Time
}

// OperationEvent is the outcome of one downlink request.
type OperationEvent struct {
	Endpoint string
	Request  lwm2m.Request
	// Code is the device's response code (0 when there was none).
	Code     lwm2m.Code
	Err      error
	Duration time.Duration
}

// SecurityEvent reports a refused or suspicious interaction.
type SecurityEvent struct {
	Time time.Time
	// Kind is "identity-mismatch", "nosec-refused", "handshake-failed",
	// "malformed" or "bad-request".
	Kind     string
	Endpoint string // when known
	Address  string
	Identity string
	Reason   string
}

// dispatcher delivers events to the listener in order from one goroutine.
type dispatcher struct {
	ch   chan func(Listener)
	l    Listener
	done chan struct{}
	once sync.Once
}

func newDispatcher(l Listener, size int) *dispatcher {
	return &dispatcher{ch: make(chan func(Listener), size), l: l, done: make(chan struct{})}
}

func (d *dispatcher) run(ctx context.Context) {
	for {
		select {
		case f := <-d.ch:
			f(d.l)
		case <-ctx.Done():
			// Deliver what is queued, then stop.
			for {
				select {
				case f := <-d.ch:
					f(d.l)
				default:
					d.once.Do(func() { close(d.done) })
					return
				}
			}
		}
	}
}

// tryEmit queues an event unless the queue is full.
func (d *dispatcher) tryEmit(f func(Listener)) bool {
	select {
	case d.ch <- f:
		return true
	case <-d.done:
		return true
	default:
		return false
	}
}

// emit queues an event; it waits when the queue is full (back-pressure on
// uplink handling) unless the server is stopping.
func (d *dispatcher) emit(f func(Listener)) {
	select {
	case d.ch <- f:
	case <-d.done:
	}
}
