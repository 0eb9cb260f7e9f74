package client

import (
	"context"
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// handleBootstrap serves the bootstrap server (Core TS 1.1 §5.2.7):
// Bootstrap-Write (PUT), -Delete (DELETE), -Discover (GET with Accept
// link-format), -Read (GET of /1 or /2 only) and -Finish (POST /bs).
func (c *Client) handleBootstrap(req *coap.Message) *coap.Message {
	segs := req.Path()
	if req.Code == coap.POST && len(segs) == 1 && segs[0] == "bs" {
		return c.bootstrapFinish()
	}
	p, err := lwm2m.PathFromSegments(segs)
	if err != nil {
		return coap.ErrorResponse(lwm2m.CodeBadRequest, "%v", err)
	}
	switch req.Code {
	case coap.GET:
		if req.Accept() == lwm2m.FormatLinkFormat {
			links, err := c.tree.BootstrapDiscover(p, c.cfg.Version)
			if err != nil {
				return answer(err)
			}
			return linkResponse(links)
		}
		if p.IsRoot() || (p.Object() != 1 && p.Object() != 2) {
			return coap.ErrorResponse(lwm2m.CodeBadRequest, "bootstrap read is for /1 and /2 only")
		}
		return c.read(req, p, byBootstrap)
	case coap.PUT:
		if p.IsRoot() {
			return coap.ErrorResponse(lwm2m.CodeBadRequest, "bootstrap write needs an object, instance or resource path")
		}
		return c.write(req, p, true, byBootstrap)
	case coap.DELETE:
		if err := c.tree.Delete(p, byBootstrap); err != nil {
			return answer(err)
		}
		return coap.NewResponse(lwm2m.CodeDeleted, nil)
	}
	return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "%s is not a bootstrap operation", coap.MethodName(req.Code))
}

// bootstrapFinish checks that the bootstrap left a usable management
// account; 4.06 Not Acceptable otherwise (Core TS 1.1 §5.2.7.5).
func (c *Client) bootstrapFinish() *coap.Message {
	if _, err := c.account(); err != nil {
		return coap.ErrorResponse(lwm2m.CodeNotAcceptable, "%v", err)
	}
	if !c.bsFinished {
		c.bsFinished = true
		if c.bsDone != nil {
			close(c.bsDone)
		}
	}
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}

// doBootstrap runs one Client Initiated Bootstrap: dial the bootstrap
// server from its /0 account, send Bootstrap-Request, serve it until
// Bootstrap-Finish, then drop the connection.
func (c *Client) doBootstrap(ctx context.Context) error {
	c.mu.Lock()
	var target Target
	var err error
	found := false
	if sec, ok := c.tree.Object(0); ok {
		for _, in := range sec.Instances {
			if isBootstrapAccount(in) {
				target, err = c.targetOf(in)
				found = true
				break
			}
		}
	}
	old := c.conn
	c.conn, c.registered = nil, false
	c.bsFinished = false
	done := make(chan struct{})
	c.bsDone = done
	c.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	if !found {
		return fmt.Errorf("%w: no bootstrap account in /0", ErrConfig)
	}
	if err != nil {
		return err
	}
	conn, err := c.dialer.Dial(ctx, target, inbound{c: c, who: byBootstrap})
	if err != nil {
		return fmt.Errorf("%w: dial %s: %v", ErrBootstrap, target.URI, err)
	}
	defer conn.Close()
	req := coap.NewRequest(coap.POST, "bs")
	req.AddQuery("ep=" + c.cfg.Endpoint)
	if c.cfg.Version != "1.0" {
		req.AddQuery("pct=" + fmt.Sprint(int(lwm2m.FormatSenMLCBOR)))
	}
	resp, err := c.exchange(ctx, conn, "bootstrap", req)
	if err != nil {
		return fmt.Errorf("%w: request: %v", ErrBootstrap, err)
	}
	if resp.Code != lwm2m.CodeChanged {
		return fmt.Errorf("%w: request answered %s: %s", ErrBootstrap, resp.Code, resp.Payload)
	}
	wait, cancel := context.WithTimeout(ctx, c.cfg.BootstrapTimeout)
	defer cancel()
	select {
	case <-done:
	case <-wait.Done():
		return fmt.Errorf("%w: no Bootstrap-Finish within %v", ErrBootstrap, c.cfg.BootstrapTimeout)
	}
	c.mu.Lock()
	c.bootstrap = false
	c.bsDone = nil
	c.mu.Unlock()
	if c.cfg.Events.Bootstrapped != nil {
		c.cfg.Events.Bootstrapped(c.cfg.Endpoint)
	}
	return nil
}
