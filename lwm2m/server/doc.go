// Package server is the LwM2M server: protocol state without business
// rules. It listens for CoAP over UDP and DTLS (through lwm2m/coap), keeps
// registrations (Register, Update, De-register; LwM2M 1.0, 1.1 and 1.2) and
// their expiry, binds every uplink to the identity the device's credentials
// prove, performs every downlink operation through Send with a content
// format chosen per device, matches notifications to observations by
// token, receives the Send operation (/dp), and tracks queue-mode devices.
// It reports what happens to a Listener.
//
// # State and stores
//
// The server keeps every registration in memory; that copy is
// authoritative at runtime. It writes through, in batches, to a
// RegistrationStore and an ObservationStore, and loads them in Serve, so a
// restart keeps devices known, plain-UDP devices addressable at once and
// observations matched. Credentials are looked up through a
// CredentialStore (PSK identity → key and endpoint, pinned certificate →
// endpoint, endpoint → security mode). In-memory implementations of all
// three are provided; durable ones live in storage.
//
// # Security
//
// Plain UDP is accepted only for endpoints whose security mode is NoSec,
// or for unknown endpoints when AllowUnknownNoSec is set. Over DTLS a
// device may register, update, send and notify only as the endpoint its
// PSK identity or certificate is bound to (a pinned certificate's
// endpoint, or the CN of a certificate from ClientCAs); anything else is
// answered 4.03 and reported as a SecurityEvent. Disconnect closes a live
// session after a credential is revoked. Forget ends a registration on the
// server's initiative (a deleted device): registration, observations and
// held requests go at once, the stores are written before it returns, the
// listener hears Deregistered, and the device's next Update gets 4.04.
//
// # Queue mode
//
// A queue-mode device (b=UQ in 1.0, Q in 1.1+) is considered awake for
// AwakeWindow (93 s) after each uplink. Send never transmits to a sleeping
// device: requests wait in a HoldQueue (in memory, bounded per device) and
// go out one at a time, in order, when the device is next heard from; a
// request still waiting at its deadline fails with ErrDeviceAsleep. The
// hold queue only serves callers waiting in Send. Durable command queuing
// with retries and expiry is dm's job, built on Send and the Awake/Asleep
// events.
//
// # Events
//
// The Listener receives registered, updated, deregistered, expired, awake,
// asleep, notification, send, operation-outcome and security events in
// order from one goroutine. After every Registered the old registration's
// observations are gone (the device dropped them too): the listener
// re-observes, from its own goroutine.
package server
