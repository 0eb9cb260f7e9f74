package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// CoAPDialer is the Dialer on lwm2m/coap: plain UDP, or DTLS with PSK or
// X.509 (and connection ID when the Target asks). With Sockets set, every
// connection sends from its Target's LocalAddr through a shared socket
// instead of opening its own.
type CoAPDialer struct {
	// Sockets, when set, carries the datagrams of many clients over a few
	// sockets (fleets); nil opens one socket per connection.
	Sockets *SharedSockets
	// Logger receives the transport's debug logs.
	Logger zerolog.Logger
}

// radioControl is implemented by connections whose radio can sleep.
type radioControl interface{ setRadio(on bool) }

type coapConn struct {
	conn  *coap.Conn
	radio *radioConn
}

func (c *coapConn) Exchange(ctx context.Context, req *coap.Message) (*coap.Message, error) {
	return c.conn.Do(ctx, req)
}

func (c *coapConn) Notify(ctx context.Context, obs *coap.Message, msg *coap.Message) error {
	return c.conn.Peer().Notify(ctx, obs, msg)
}

func (c *coapConn) Close() error { return c.conn.Close() }

func (c *coapConn) setRadio(on bool) { c.radio.setRadio(on) }

// Dial connects to t.Addr and serves what the server sends through in.
func (d *CoAPDialer) Dial(ctx context.Context, t Target, in Inbound) (Conn, error) {
	var pc net.PacketConn
	var err error
	if d.Sockets != nil {
		pc, err = d.Sockets.Attach(t.LocalAddr)
	} else {
		local := ":0"
		if t.LocalAddr != "" {
			local = net.JoinHostPort(t.LocalAddr, "0")
		}
		pc, err = net.ListenPacket("udp", local)
	}
	if err != nil {
		return nil, fmt.Errorf("client: socket for %s: %w", t.Addr, err)
	}
	radio, rpc := withRadio(pc)
	cfg := coap.DialConfig{
		Config: coap.Config{
			Handler: coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
				return in.ServeCoAP(req)
			}),
			OnReset: func(_ *coap.Peer, tok coap.Token) { in.Cancelled(tok) },
			Logger:  d.Logger,
		},
		PacketConn: rpc,
	}
	if t.Secure {
		dc := &coap.DTLSClientConfig{DisableConnectionID: !t.ConnectionID}
		switch {
		case t.PSKIdentity != "":
			dc.PSKIdentity, dc.PSK = []byte(t.PSKIdentity), t.PSKKey
		case len(t.CertDER) > 0:
			key, err := parseKey(t.KeyDER)
			if err != nil {
				_ = pc.Close()
				return nil, err
			}
			dc.Certificate = &tls.Certificate{Certificate: [][]byte{t.CertDER}, PrivateKey: key}
			if len(t.ServerCADER) > 0 {
				ca, err := x509.ParseCertificate(t.ServerCADER)
				if err != nil {
					_ = pc.Close()
					return nil, fmt.Errorf("%w: server CA: %v", ErrConfig, err)
				}
				pool := x509.NewCertPool()
				pool.AddCert(ca)
				dc.RootCAs = pool
				dc.VerifyServer = func(chain []*x509.Certificate) error {
					_, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
					return err
				}
			} else {
				dc.InsecureSkipVerify = true
			}
		default:
			_ = pc.Close()
			return nil, fmt.Errorf("%w: coaps needs a PSK or a certificate", ErrConfig)
		}
		cfg.DTLS = dc
	}
	conn, err := coap.Dial(ctx, t.Addr, cfg)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	return &coapConn{conn: conn, radio: radio}, nil
}

func parseKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: private key is not PKCS#8, SEC 1 or PKCS#1 DER", ErrConfig)
}
