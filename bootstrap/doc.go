// Package bootstrap is Shoal's LwM2M bootstrap server (Core TS 1.1/1.2
// §6.1, the Bootstrap interface). It listens on its own CoAP and CoAPS
// ports through lwm2m/coap and runs one session per Bootstrap-Request:
//
//	device                           bootstrap server
//	POST /bs?ep=…&pct=…        →     Authorize (endpoint, DTLS identity)
//	                           ←     2.04 (or 4.03 and a security event)
//	                           ←     Bootstrap-Discover /          (1.1+)
//	                           ←     Bootstrap-Read /1 (and /2)    (1.1+)
//	                           ←     Bootstrap-Delete of every /0 instance
//	                                 except the bootstrap account, and /1
//	                           ←     Bootstrap-Write /0/x, /1/y (whole
//	                                 instances, matching Short Server IDs),
//	                                 optionally /2/z
//	                           ←     Bootstrap-Finish
//
// What to write comes from a Provisioner, the interface the package
// declares and device management implements: it vouches for factory
// credentials during the DTLS handshake, authorizes each request, plans
// the accounts to write (issuing fresh credentials as it does) and is told
// how every session ended — including the device's own code when it
// refused a write or the Finish, so the old credentials stay in force.
//
// The package never deletes the bootstrap-server account or the Device
// object: with a Discover answer it deletes Security instances one by one,
// skipping the account it came in on; without one (1.0 devices) it deletes
// /0 and /1 as objects, which the specification obliges the client to do
// without touching that account.
package bootstrap
