package client

import (
	"context"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// Target says where and how to connect: the server's address, the
// security to use and the local address to send from (fleets give every
// device its own 127.x.y.z while sharing a few sockets).
type Target struct {
	URI          string // coap://… or coaps://…
	Addr         string // host:port from URI
	Secure       bool
	PSKIdentity  string
	PSKKey       []byte
	CertDER      []byte
	KeyDER       []byte
	ServerCADER  []byte
	ConnectionID bool
	LocalAddr    string // "" for any
}

// Inbound receives what a server sends on a connection.
type Inbound interface {
	// ServeCoAP answers a request. A nil answer means "stay silent": no
	// response and no empty ACK (a sleeping device).
	ServeCoAP(req *coap.Message) *coap.Message
	// Cancelled reports that the server answered a notification with RST.
	Cancelled(tok coap.Token)
}

// Conn is one connection to a server.
type Conn interface {
	// Exchange sends a confirmable request and waits for its response.
	Exchange(ctx context.Context, req *coap.Message) (*coap.Message, error)
	// Notify sends a notification for the observation the server started
	// with request obs (its token, and its Block2 size when it gave one).
	Notify(ctx context.Context, obs *coap.Message, msg *coap.Message) error
	Close() error
}

// Dialer opens connections; lwm2m/coap provides the real one.
type Dialer interface {
	Dial(ctx context.Context, t Target, in Inbound) (Conn, error)
}
