package bootstrap

import (
	"context"
	"crypto/x509"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// Provisioner is what the bootstrap server needs from device management.
// Methods must be safe for concurrent use.
type Provisioner interface {
	// FactoryPSK returns the key of a factory (bootstrap) PSK identity
	// during a DTLS handshake; an error fails the handshake.
	FactoryPSK(ctx context.Context, identity string) ([]byte, error)
	// FactoryCertificate accepts or refuses a factory client certificate
	// chain (leaf first) during a DTLS handshake.
	FactoryCertificate(ctx context.Context, chain []*x509.Certificate) error
	// Authorize decides whether a Bootstrap-Request may start a session.
	// It runs while the device waits for its answer, so it must be quick.
	// A *lwm2m.Status error is answered with its code (4.03 also raises a
	// security event); other errors answer 5.03.
	Authorize(ctx context.Context, req Request) error
	// Plan says what to write, after Discover and Read told what the
	// device has. It may issue credentials.
	Plan(ctx context.Context, req Request, dev DeviceState) (Plan, error)
	// Finished reports how a session ended (successfully or not). It is
	// called once per planned session, and also for sessions that failed
	// before a plan was made (Result.Plan is then zero).
	Finished(ctx context.Context, r Result)
	// Security is told about refused requests, failed handshakes and
	// malformed messages.
	Security(ev SecurityEvent)
}

// Request is an authorized or to-be-authorized Bootstrap-Request.
type Request struct {
	Endpoint string
	// PreferredFormat is the pct query parameter (FormatNone when absent).
	PreferredFormat lwm2m.ContentFormat
	// Identity is what the DTLS handshake proved (IdentityNone on CoAP).
	Identity coap.Identity
	// Address is the device's "host:port".
	Address string
	// Received is when the request arrived.
	Received time.Time
}

// DeviceState is what the session learned before planning.
type DeviceState struct {
	// Version is the device's enabler version from Bootstrap-Discover
	// ("1.0" when the device does not answer it).
	Version string
	// Discovered is false when Bootstrap-Discover failed; Links and the
	// instance lists are then empty.
	Discovered bool
	Links      []lwm2m.Link
	// BootstrapInstances are the Security instances that hold the
	// bootstrap-server account; ServerAccounts the others, with their ssid.
	BootstrapInstances []uint16
	ServerAccounts     []DiscoveredAccount
	// Servers is the Bootstrap-Read of /1 (nil when not read: 1.0 devices,
	// or the read failed); AccessControl that of /2 (read only when
	// Discover listed the object).
	Servers       *lwm2m.Node
	AccessControl *lwm2m.Node
}

// DiscoveredAccount is a management-server Security instance Discover
// listed.
type DiscoveredAccount struct {
	Instance      uint16
	ShortServerID uint16 // 0 when the link carried none
	URI           string
}

// SecurityMode is the Security object's resource 2.
type SecurityMode uint8

// Security modes (Core TS, object 0 resource 2).
const (
	ModePSK         SecurityMode = 0
	ModeRPK         SecurityMode = 1
	ModeCertificate SecurityMode = 2
	ModeNoSec       SecurityMode = 3
)

// String returns "psk", "rpk", "certificate" or "nosec".
func (m SecurityMode) String() string {
	switch m {
	case ModePSK:
		return "psk"
	case ModeRPK:
		return "rpk"
	case ModeCertificate:
		return "certificate"
	case ModeNoSec:
		return "nosec"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Plan is what a session writes.
type Plan struct {
	// Ref is the provisioner's own reference for the session (returned in
	// Result).
	Ref int64
	// Accounts are the management servers: each becomes a Security and a
	// Server instance carrying its Short Server ID.
	Accounts []ServerAccount
	// AccessControl instances, written to /2 after the accounts (empty:
	// /2 is left alone).
	AccessControl []AccessControl
	// Format forces the payload format (FormatNone: the device's pct,
	// else TLV).
	Format lwm2m.ContentFormat
}

// ServerAccount is one management server.
type ServerAccount struct {
	ShortServerID uint16
	URI           string
	Mode          SecurityMode
	// Identity is the PSK identity or the client certificate (DER);
	// SecretKey the PSK or the client's private key (PKCS#8 DER);
	// ServerPublicKey the server's certificate or its CA (DER).
	Identity        []byte
	SecretKey       []byte
	ServerPublicKey []byte
	Lifetime        time.Duration
	// DefaultMinPeriod and DefaultMaxPeriod are /1/x/2 and /1/x/3 (zero:
	// not written).
	DefaultMinPeriod time.Duration
	DefaultMaxPeriod time.Duration
	// Binding is /1/x/7 ("U" by default; "UQ" for a 1.0 device in queue
	// mode).
	Binding string
	// NotificationStoring is /1/x/6.
	NotificationStoring bool
}

// AccessControl is one Access Control (/2) instance: who may do what on
// one object instance. ACL maps a Short Server ID (0: any server) to the
// access bits (1 read, 2 write, 4 execute, 8 delete, 16 create).
type AccessControl struct {
	ObjectID   uint16
	InstanceID uint16
	ACL        map[uint16]uint16
	Owner      uint16
}

// Step names where a session stopped.
type Step string

// Session steps.
const (
	StepAuthorize Step = "authorize"
	StepDiscover  Step = "discover"
	StepRead      Step = "read"
	StepPlan      Step = "plan"
	StepDelete    Step = "delete"
	StepWrite     Step = "write"
	StepFinish    Step = "finish"
	StepDone      Step = "done"
)

// Result is how a session ended.
type Result struct {
	Request Request
	Plan    Plan
	State   DeviceState
	// OK is true when the device accepted Bootstrap-Finish.
	OK bool
	// Step is where the session stopped (StepDone when OK); Path the
	// target of the failed operation; Code the device's answer when it
	// answered with an error (0 when it did not answer at all); Err says
	// why.
	Step Step
	Path lwm2m.Path
	Code lwm2m.Code
	Err  error
	// FinishUnconfirmed is set when the device closed its DTLS session
	// instead of answering Bootstrap-Finish (after accepting every write);
	// the session then counts as OK.
	FinishUnconfirmed bool
	// Written lists the instances written for each account, in plan order.
	Written  []WrittenAccount
	Format   lwm2m.ContentFormat
	Started  time.Time
	Finished time.Time
}

// WrittenAccount says where an account went on the device.
type WrittenAccount struct {
	ShortServerID    uint16
	SecurityInstance uint16
	ServerInstance   uint16
}

// SecurityEvent is a refused request, a failed handshake or a malformed
// message.
type SecurityEvent struct {
	Time     time.Time
	Kind     string // "bootstrap-refused", "handshake-failed", "malformed"
	Endpoint string
	Address  string
	Identity string
	Reason   string
}
