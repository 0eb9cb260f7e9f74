package client

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// effective implements attrSource: the attributes written on the tree,
// over the server's default pmin/pmax (/1/x/2, /1/x/3).
func (c *Client) effective(p lwm2m.Path) lwm2m.Attributes {
	var a lwm2m.Attributes
	if o, ok := c.tree.Object(1); ok && len(o.Instances) > 0 {
		in := o.Instances[0]
		if r, ok := in.Resource(2); ok && r.Value.Int() >= 0 {
			v := uint32(r.Value.Int())
			a.Pmin = &v
		}
		if r, ok := in.Resource(3); ok && r.Value.Int() > 0 {
			v := uint32(r.Value.Int())
			a.Pmax = &v
		}
	}
	return a.Merge(c.tree.EffectiveAttributes(p))
}

// sampleAt implements attrSource.
func (c *Client) sampleAt(p lwm2m.Path) sample {
	v, ok := c.tree.Value(p)
	if !ok {
		return sample{}
	}
	if v.Type() == lwm2m.TypeBoolean {
		return sample{}
	}
	f, numeric := v.Numeric()
	return sample{v: f, ok: numeric}
}

func (c *Client) nextSeq() uint32 {
	c.seq = (c.seq + 1) & 0xffffff
	return c.seq
}

// observe handles GET/FETCH with an Observe option: 0 starts an
// observation (answered like a read, with Observe set), 1 cancels it
// (answered like a plain read).
func (c *Client) observe(req *coap.Message, paths []lwm2m.Path, composite bool, obs uint32) *coap.Message {
	tok := string(req.Token.Bytes())
	var resp *coap.Message
	if obs == 1 {
		c.obs.remove(tok)
		c.obs.removePaths(paths)
	}
	if composite {
		recs, err := c.compositeRecords(paths, byServer)
		if err != nil {
			return answer(err)
		}
		f, b, err := c.encodeRecords(req.Accept(), recs)
		if err != nil {
			return answer(err)
		}
		resp = contentResponse(f, b)
	} else {
		resp = c.read(req, paths[0], byServer)
	}
	if obs != 0 || !resp.Code.IsSuccess() {
		return resp
	}
	ob := &observation{token: tok, paths: paths, composite: composite, format: resp.ContentFormat(), req: observeRequest(req)}
	ob.start(c.clock.Now(), c)
	c.obs.add(ob)
	resp.SetObserve(c.nextSeq())
	return resp
}

// notification is one notification ready to go out.
type notification struct {
	tok   coap.Token
	req   *coap.Message
	msg   *coap.Message
	paths []lwm2m.Path
}

// dueNotifications evaluates every observation at now and builds the
// notifications that are due. An observation whose target vanished gets a
// final 4.04 notification and is dropped.
func (c *Client) dueNotifications(now time.Time) []notification {
	var out []notification
	var drop []string
	for _, ob := range c.obs.list {
		if !ob.step(now, c) {
			continue
		}
		tok, _ := coap.TokenFromBytes([]byte(ob.token))
		var msg *coap.Message
		if ob.composite {
			recs, err := c.compositeRecords(ob.paths, byServer)
			if err == nil {
				var f lwm2m.ContentFormat
				var b []byte
				f, b, err = c.encodeRecords(ob.format, recs)
				if err == nil {
					msg = contentResponse(f, b)
				}
			}
			if err != nil {
				msg = answer(err)
			}
		} else {
			n, err := c.tree.Read(ob.paths[0], byServer)
			if err == nil {
				var f lwm2m.ContentFormat
				var b []byte
				f, b, err = c.encodeNode(ob.format, ob.paths[0], &n)
				if err == nil {
					msg = contentResponse(f, b)
				}
			}
			if err != nil {
				msg = answer(err)
			}
		}
		if !msg.Code.IsSuccess() {
			drop = append(drop, ob.token)
		} else {
			msg.SetObserve(c.nextSeq())
		}
		ob.sent(now, c)
		out = append(out, notification{tok: tok, req: ob.req, msg: msg, paths: ob.paths})
	}
	for _, t := range drop {
		c.obs.remove(t)
	}
	return out
}

// observeRequest keeps what the transport needs of an Observe request (its
// token and Block2 option) without its payload.
func observeRequest(req *coap.Message) *coap.Message {
	m := &coap.Message{Type: req.Type, Code: req.Code, Token: req.Token}
	if b, ok := req.Block2(); ok {
		m.SetBlock2(b)
	}
	return m
}
