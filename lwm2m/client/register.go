package client

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// serverAccount is what the client needs from /0 and /1 to reach its
// management server.
type serverAccount struct {
	target   Target
	ssid     uint16
	lifetime time.Duration
	binding  string
}

// account reads the management server's account from the tree: the first
// non-bootstrap Security instance and the Server instance with its ssid.
func (c *Client) account() (serverAccount, error) {
	sec, _ := c.tree.Object(0)
	srv, _ := c.tree.Object(1)
	for _, in := range sec.Instances {
		if isBootstrapAccount(in) {
			continue
		}
		a := serverAccount{lifetime: c.cfg.Lifetime, binding: c.binding()}
		ssid, _ := in.Resource(10)
		a.ssid = uint16(ssid.Value.Int())
		var err error
		a.target, err = c.targetOf(in)
		if err != nil {
			return a, err
		}
		for _, s := range srv.Instances {
			id, _ := s.Resource(0)
			if uint16(id.Value.Int()) != a.ssid {
				continue
			}
			if lt, ok := s.Resource(1); ok && lt.Value.Int() > 0 {
				a.lifetime = time.Duration(lt.Value.Int()) * time.Second
			}
			if b, ok := s.Resource(7); ok && b.Value.Str() != "" {
				a.binding = b.Value.Str()
			}
			return a, nil
		}
		return a, fmt.Errorf("%w: no /1 instance for short server id %d", ErrConfig, a.ssid)
	}
	return serverAccount{}, fmt.Errorf("%w: no management server account in /0", ErrConfig)
}

// targetOf turns a Security instance into a Target.
func (c *Client) targetOf(in *Instance) (Target, error) {
	uri, _ := in.Resource(0)
	secure, addr, err := parseServerURI(uri.Value.Str())
	if err != nil {
		return Target{}, fmt.Errorf("%w: /0/%d/0: %v", ErrConfig, in.ID, err)
	}
	t := Target{URI: uri.Value.Str(), Addr: addr, Secure: secure, ConnectionID: c.cfg.ConnectionID, LocalAddr: c.local}
	mode, _ := in.Resource(2)
	ident, _ := in.Resource(3)
	skey, _ := in.Resource(4)
	secret, _ := in.Resource(5)
	switch mode.Value.Int() {
	case secPSK:
		t.PSKIdentity, t.PSKKey = string(ident.Value.Bytes()), secret.Value.Bytes()
	case secCertificate:
		t.CertDER, t.KeyDER, t.ServerCADER = ident.Value.Bytes(), secret.Value.Bytes(), skey.Value.Bytes()
	case secNoSec:
	default:
		return Target{}, fmt.Errorf("%w: /0/%d/2: security mode %d is not supported", ErrConfig, in.ID, mode.Value.Int())
	}
	if secure && mode.Value.Int() == secNoSec {
		return Target{}, fmt.Errorf("%w: /0/%d: coaps URI with NoSec mode", ErrConfig, in.ID)
	}
	return t, nil
}

func (c *Client) registerRequest(a serverAccount) *coap.Message {
	req := coap.NewRequest(coap.POST, "rd")
	req.AddQuery("ep="+c.cfg.Endpoint, "lt="+strconv.FormatInt(int64(a.lifetime/time.Second), 10), "lwm2m="+c.cfg.Version)
	if a.binding != "" {
		req.AddQuery("b=" + a.binding)
	}
	if c.cfg.QueueMode && c.cfg.Version != "1.0" {
		req.AddQuery("Q")
	}
	req.SetContentFormat(lwm2m.FormatLinkFormat)
	req.Payload = c.tree.registrationPayload()
	return req
}

// exchange sends req on the current connection and reports its latency.
func (c *Client) exchange(ctx context.Context, conn Conn, kind string, req *coap.Message) (*coap.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	start := time.Now()
	resp, err := conn.Exchange(ctx, req)
	if c.cfg.Events.Latency != nil && err == nil {
		c.cfg.Events.Latency(c.cfg.Endpoint, kind, time.Since(start))
	}
	return resp, err
}

func (c *Client) fail(err error) {
	c.log.Debug().Err(err).Msg("client error")
	if c.cfg.Events.Error != nil {
		c.cfg.Events.Error(c.cfg.Endpoint, err)
	}
}

// doRegister dials the management server and registers.
func (c *Client) doRegister(ctx context.Context) error {
	c.mu.Lock()
	a, err := c.account()
	var req *coap.Message
	if err == nil {
		req = c.registerRequest(a)
	}
	conn := c.conn
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if conn == nil {
		conn, err = c.dialer.Dial(ctx, a.target, inbound{c: c, who: byServer})
		if err != nil {
			return fmt.Errorf("dial %s: %w", a.target.URI, err)
		}
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
	}
	resp, err := c.exchange(ctx, conn, "register", req)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if resp.Code != lwm2m.CodeCreated {
		return fmt.Errorf("%w: register answered %s: %s", ErrRegistration, resp.Code, resp.Payload)
	}
	loc := resp.LocationPath()
	c.mu.Lock()
	now := c.clock.Now()
	c.registered, c.location = true, loc
	c.lastUpdate, c.lastUplink = now, now
	c.wantUpdate, c.wantObjects = false, false
	c.sleeping = false
	c.mu.Unlock()
	c.log.Debug().Strs("location", loc).Msg("registered")
	if c.cfg.Events.Registered != nil {
		c.cfg.Events.Registered(c.cfg.Endpoint, "/"+joinPath(loc))
	}
	return nil
}

// doUpdate sends a Registration Update; 4.04 means the server forgot the
// registration, so the client registers again.
func (c *Client) doUpdate(ctx context.Context) error {
	c.mu.Lock()
	a, err := c.account()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	req := coap.NewRequest(coap.POST, c.location...)
	req.AddQuery("lt=" + strconv.FormatInt(int64(a.lifetime/time.Second), 10))
	if a.binding != "" {
		req.AddQuery("b=" + a.binding)
	}
	if c.wantObjects {
		req.SetContentFormat(lwm2m.FormatLinkFormat)
		req.Payload = c.tree.registrationPayload()
	}
	conn := c.conn
	c.wantUpdate, c.wantObjects = false, false
	c.wakeUp()
	c.lastUplink = c.clock.Now()
	c.mu.Unlock()
	resp, err := c.exchange(ctx, conn, "update", req)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case resp.Code == lwm2m.CodeChanged:
		c.lastUpdate = c.clock.Now()
		if c.cfg.Events.Updated != nil {
			c.cfg.Events.Updated(c.cfg.Endpoint)
		}
		return nil
	case resp.Code == lwm2m.CodeNotFound:
		// The server forgot us: register again at once.
		c.registered = false
		c.log.Debug().Msg("update answered 4.04: registering again")
		return nil
	}
	return fmt.Errorf("%w: update answered %s: %s", ErrRegistration, resp.Code, resp.Payload)
}

// doDeregister ends the registration (best effort).
func (c *Client) doDeregister(ctx context.Context) {
	c.mu.Lock()
	conn, loc, reg := c.conn, c.location, c.registered
	c.registered = false
	c.mu.Unlock()
	if !reg || conn == nil {
		return
	}
	resp, err := c.exchange(ctx, conn, "deregister", coap.NewRequest(coap.DELETE, loc...))
	if err != nil {
		c.fail(fmt.Errorf("deregister: %w", err))
		return
	}
	if resp.Code != lwm2m.CodeDeleted {
		c.fail(fmt.Errorf("%w: deregister answered %s", ErrRegistration, resp.Code))
		return
	}
	if c.cfg.Events.Deregistered != nil {
		c.cfg.Events.Deregistered(c.cfg.Endpoint)
	}
}
