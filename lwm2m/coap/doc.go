// Package coap is Shoal's CoAP transport (RFC 7252, 7641, 7959) over UDP
// and DTLS 1.2 (RFC 6347, 9146). It is the only package that imports
// go-coap and pion/dtls, and it serves the LwM2M server, the LwM2M client
// and the bootstrap server alike. Nothing of go-coap or pion leaks out:
// callers see the types below.
//
// # Messages
//
// Message is one CoAP message: Type (CON/NON/ACK/RST), Code (methods GET,
// POST, PUT, DELETE, FETCH, IPATCH or an lwm2m.Code response), MessageID,
// Token, Options and Payload, with typed accessors for Uri-Path, Uri-Query,
// Content-Format, Accept, Observe, Block1/Block2 and Location-Path. Decode
// and Encode convert to and from the wire (the byte layout is go-coap's
// coder; Decode adds byte-offset diagnostics).
//
// # Listening (server side)
//
//	ep, _ := coap.ListenUDP("udp", ":5683", coap.Config{Handler: h})
//	ep, _ := coap.ListenDTLS("udp", ":5684", cfg, coap.DTLSConfig{PSK: lookup})
//	go ep.Serve(ctx) // returns when ctx ends, goroutines finished
//
// Every incoming request reaches Config.Handler with the Peer it came
// from. A Peer is a remote UDP address or a DTLS session; Peer.Identity
// says what the handshake proved (none, a PSK identity, or an X.509 chain
// with CN and SHA-256 fingerprint). With connection IDs (on by default) a
// session follows its device to a new address without a new handshake,
// and Peer.RemoteAddr follows it too.
//
// # Dialling (client side)
//
//	c, _ := coap.Dial(ctx, "127.0.0.1:5684", coap.DialConfig{Config: cfg, DTLS: &coap.DTLSClientConfig{...}})
//	resp, _ := c.Do(ctx, coap.NewRequest(coap.POST, "rd"))
//
// Requests the server sends to the client are served by Config.Handler on
// the same connection. Many simulated devices can share one socket, each
// with its own loopback address: SharedSocket.PacketConn as
// DialConfig.PacketConn (a conn implementing DatagramReader hands over
// datagrams without a read buffer); with DialConfig.ExternalReader the
// socket's owner feeds datagrams to Conn.Deliver and a device costs no
// goroutine.
//
// # Exchanges
//
// Peer.Do sends a request and waits for the response: confirmable messages
// are retransmitted (ACK_TIMEOUT 2 s × random factor 1.5, doubling, 4
// retransmissions), NSTART bounds concurrent requests per peer, separate
// responses are awaited, and large bodies travel block-wise both ways
// (Block1 for requests, Block2 for responses, sizes negotiated down when
// the peer asks, bodies capped by Config.MaxBodySize). Exhausted
// retransmissions and context deadlines both end in ErrTimeout.
//
// Incoming messages are de-duplicated per peer by message id for the
// exchange lifetime: a retransmitted request is answered once, with the
// same bytes.
//
// # Observe
//
// Peer.Observe registers an observation (Observe=0) and hands every
// notification carrying its token to a NotifyFunc, whichever address or
// session it arrives from (a device whose NAT binding changed keeps its
// observations); Observation.Cancel deregisters actively (Observe=1),
// Forget reactively (the next notification gets RST). Endpoint.Attach
// re-creates an observation from a stored token after a restart.
// Notifications for tokens nobody knows go to Config.Unmatched and are
// reset unless it accepts them. On the device side, Peer.Notify sends a
// notification for an observe request the handler accepted.
//
// # DTLS
//
// ListenDTLS runs pion/dtls behind its own demultiplexer, which routes
// records by connection ID, caps handshakes in progress, drops handshakes
// whose client never echoes the cookie, and normalises the record version
// of epoch-0 records: mbedTLS 2.28 clients send their first ClientHello
// with record version {254, 0}, which pion would otherwise drop silently.
// PSK (TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_GCM_SHA256) and
// certificate suites (ECDHE-ECDSA with AES-128-CCM-8 or GCM) are offered;
// credentials come from callbacks (DTLSConfig.PSK, VerifyClient) so the
// server can look them up in its store.
//
// pion performs the handshake; once it is done, application data runs on
// a lean record layer (dtlsfast.go) that opens and seals records with
// pion's own record-layer, AEAD and replay-window packages on the goroutine
// that read the datagram: no goroutine per session, ~5 KiB of heap per
// session. Server sockets are read with recvmmsg and answered with
// sendmmsg.
package coap
