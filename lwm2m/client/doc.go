// Package client is the device side of LwM2M: an object tree checked against
// object models, the handlers a conforming client runs for every
// device-management operation (with the refusals the specification
// requires), observations honouring the notification attributes, the
// standard objects a simulated device carries (Security, Server, Device,
// Connectivity Monitoring, Firmware Update with its state machine,
// Location, Temperature), values that drift over a pluggable clock, and the
// registration, bootstrap, Send and queue-mode loop on top of lwm2m/coap.
//
// A Client keeps its state behind one mutex and runs at most one goroutine
// (its Run loop) which sleeps on a single timer until the next thing is due:
// a registration update, a simulation tick, a notification, the end of the
// queue-mode awake window. Incoming requests are served on the transport's
// goroutines. That keeps a fleet of 100,000 clients in one process cheap.
package client
