package client

import (
	"context"
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

var pathFirmwareVersion = lwm2m.ResourcePath(3, 0, 3)

func stringValue(s string) lwm2m.Value { return lwm2m.StringValue(s) }

// sendJob is one pending Send.
type sendJob struct {
	paths []lwm2m.Path
	done  chan error
}

// SendNow reports the current values of paths to the server with the Send
// operation (POST /dp, SenML CBOR, each value timestamped) and waits for
// the answer. A sleeping device wakes for it.
func (c *Client) SendNow(ctx context.Context, paths ...lwm2m.Path) error {
	if len(paths) == 0 {
		return fmt.Errorf("%w: send names no paths", ErrUnknownPath)
	}
	if c.cfg.Version == "1.0" {
		return fmt.Errorf("%w: Send needs LwM2M 1.1", ErrConfig)
	}
	job := sendJob{paths: paths, done: make(chan error, 1)}
	c.mu.Lock()
	for _, p := range paths {
		if !c.tree.Exists(p) {
			c.mu.Unlock()
			return fmt.Errorf("%w: %s", ErrUnknownPath, p)
		}
	}
	c.sends = append(c.sends, job)
	c.mu.Unlock()
	c.kick()
	select {
	case err := <-job.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// doSends sends every queued Send.
func (c *Client) doSends(ctx context.Context) {
	c.mu.Lock()
	jobs := c.sends
	c.sends = nil
	conn := c.conn
	now := c.clock.Now()
	c.lastUplink = now
	type prepared struct {
		job sendJob
		req *coap.Message
		err error
	}
	var out []prepared
	for _, j := range jobs {
		var recs []lwm2m.Record
		var err error
		for _, p := range j.paths {
			var n lwm2m.Node
			n, err = c.tree.Read(p, byServer)
			if err != nil {
				break
			}
			recs = n.AppendRecords(recs, p, now)
		}
		var req *coap.Message
		if err == nil {
			var b []byte
			b, err = c.cfg.Codecs.EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root, recs)
			req = coap.NewRequest(coap.POST, "dp")
			req.SetContentFormat(lwm2m.FormatSenMLCBOR)
			req.Payload = b
		}
		out = append(out, prepared{job: j, req: req, err: err})
	}
	c.mu.Unlock()
	for _, p := range out {
		if p.err != nil {
			p.job.done <- p.err
			continue
		}
		resp, err := c.exchange(ctx, conn, "send", p.req)
		switch {
		case err != nil:
			err = fmt.Errorf("send: %w", err)
		case !resp.Code.IsSuccess():
			err = fmt.Errorf("send answered %s: %s", resp.Code, resp.Payload)
		}
		if err == nil && c.cfg.Events.Sent != nil {
			c.cfg.Events.Sent(c.cfg.Endpoint, len(p.job.paths))
		}
		p.job.done <- err
	}
}
