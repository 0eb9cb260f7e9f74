package client

import (
	"errors"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// answer turns an error into a response: a *lwm2m.Status keeps its code,
// codec errors map to 4.15/4.00, anything else is 5.00. The reason goes in
// a text/plain diagnostic payload.
func answer(err error) *coap.Message {
	var st *lwm2m.Status
	if errors.As(err, &st) {
		return coap.ErrorResponse(st.Code, "%s", st.Reason)
	}
	if errors.Is(err, codec.ErrUnsupportedFormat) || errors.Is(err, codec.ErrMalformed) {
		return coap.ErrorResponse(codec.StatusCode(err), "%v", err)
	}
	return coap.ErrorResponse(lwm2m.CodeInternalServerError, "%v", err)
}

func (c *Client) defaultFormat() lwm2m.ContentFormat {
	if c.cfg.Version == "1.0" {
		return lwm2m.FormatTLV
	}
	return lwm2m.FormatSenMLCBOR
}

// handle serves one request from a server (who says which kind). It never
// panics on what a server sends: everything malformed or unsupported gets
// the code a conforming client answers with.
func (c *Client) handle(req *coap.Message, who access) *coap.Message {
	if who == byBootstrap {
		return c.handleBootstrap(req)
	}
	segs := req.Path()
	p, err := lwm2m.PathFromSegments(segs)
	if err != nil {
		return coap.ErrorResponse(lwm2m.CodeNotFound, "%v", err)
	}
	switch req.Code {
	case coap.GET:
		if req.Accept() == lwm2m.FormatLinkFormat {
			links, err := c.tree.Discover(p, who)
			if err != nil {
				return answer(err)
			}
			return linkResponse(links)
		}
		if obs, ok := req.Observe(); ok {
			return c.observe(req, []lwm2m.Path{p}, false, obs)
		}
		return c.read(req, p, who)
	case coap.PUT:
		if len(req.Payload) == 0 && req.ContentFormat() == lwm2m.FormatNone {
			return c.writeAttributes(req, p, who)
		}
		return c.write(req, p, true, who)
	case coap.POST:
		switch p.Len() {
		case 1:
			return c.create(req, p, who)
		case 2:
			return c.write(req, p, false, who)
		case 3:
			if req.ContentFormat() != lwm2m.FormatNone && !c.executable(p) {
				return c.write(req, p, false, who)
			}
			if err := c.tree.Execute(p, string(req.Payload), who); err != nil {
				return answer(err)
			}
			return coap.NewResponse(lwm2m.CodeChanged, nil)
		}
		return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "POST on %s is not defined", p)
	case coap.DELETE:
		if err := c.tree.Delete(p, who); err != nil {
			return answer(err)
		}
		return coap.NewResponse(lwm2m.CodeDeleted, nil)
	case coap.FETCH, coap.IPATCH:
		if c.cfg.Version == "1.0" {
			return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "composite operations need LwM2M 1.1")
		}
		if !p.IsRoot() {
			return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "composite operations address the root")
		}
		if req.Code == coap.IPATCH {
			return c.writeComposite(req, who)
		}
		return c.readComposite(req, who)
	}
	return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "method %s is not supported", coap.MethodName(req.Code))
}

func (c *Client) executable(p lwm2m.Path) bool {
	rm, ok := lwm2m.ResourceModelAt(c.models, p)
	return ok && rm.Operations.Executable()
}

func linkResponse(links []lwm2m.Link) *coap.Message {
	resp := coap.NewResponse(lwm2m.CodeContent, formatLinks(links))
	resp.SetContentFormat(lwm2m.FormatLinkFormat)
	return resp
}

// encodeNode encodes n at p in the Accept format (or the default): 4.06
// when the server asks for a format the client cannot produce or that
// cannot carry this content.
func (c *Client) encodeNode(accept lwm2m.ContentFormat, p lwm2m.Path, n *lwm2m.Node) (lwm2m.ContentFormat, []byte, error) {
	f := accept
	if f == lwm2m.FormatNone {
		f = c.defaultFormat()
	}
	enc, err := c.codecs.Lookup(f)
	if err != nil {
		return f, nil, lwm2m.Errorf(lwm2m.CodeNotAcceptable, "content format %s is not supported", f)
	}
	b, err := enc.Encode(p, n)
	if err != nil {
		if errors.Is(err, codec.ErrNotRepresentable) {
			return f, nil, lwm2m.Errorf(lwm2m.CodeNotAcceptable, "%s cannot carry %s: %v", f, p, err)
		}
		return f, nil, err
	}
	return f, b, nil
}

func (c *Client) encodeRecords(accept lwm2m.ContentFormat, recs []lwm2m.Record) (lwm2m.ContentFormat, []byte, error) {
	f := accept
	if f == lwm2m.FormatNone {
		f = lwm2m.FormatSenMLCBOR
	}
	enc, err := c.codecs.Lookup(f)
	if err != nil {
		return f, nil, lwm2m.Errorf(lwm2m.CodeNotAcceptable, "content format %s is not supported", f)
	}
	b, err := enc.EncodeRecords(lwm2m.Root, recs)
	if err != nil {
		if errors.Is(err, codec.ErrNotRepresentable) {
			return f, nil, lwm2m.Errorf(lwm2m.CodeNotAcceptable, "%s cannot carry these values: %v", f, err)
		}
		return f, nil, err
	}
	return f, b, nil
}

func contentResponse(f lwm2m.ContentFormat, b []byte) *coap.Message {
	resp := coap.NewResponse(lwm2m.CodeContent, b)
	resp.SetContentFormat(f)
	return resp
}

func (c *Client) read(req *coap.Message, p lwm2m.Path, who access) *coap.Message {
	n, err := c.tree.Read(p, who)
	if err != nil {
		return answer(err)
	}
	f, b, err := c.encodeNode(req.Accept(), p, &n)
	if err != nil {
		return answer(err)
	}
	return contentResponse(f, b)
}

// decodeFormat checks the request's Content-Format: 4.00 when absent, 4.15
// when the client has no codec for it.
func (c *Client) decodeFormat(req *coap.Message) (codec.Codec, error) {
	f := req.ContentFormat()
	if f == lwm2m.FormatNone {
		return nil, lwm2m.Errorf(lwm2m.CodeBadRequest, "payload without Content-Format")
	}
	dec, err := c.codecs.Lookup(f)
	if err != nil {
		return nil, lwm2m.Errorf(lwm2m.CodeUnsupportedContentFormat, "content format %s is not supported", f)
	}
	return dec, nil
}

func decodeErr(err error) error {
	if _, ok := lwm2m.StatusCode(err); ok {
		return err
	}
	return lwm2m.Errorf(codec.StatusCode(err), "%v", err)
}

func (c *Client) write(req *coap.Message, p lwm2m.Path, replace bool, who access) *coap.Message {
	if who == byServer && hidden(p.Object()) {
		return answer(lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object()))
	}
	if p.Len() < 2 && who == byServer || p.IsRoot() {
		return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "write needs an instance, resource or resource-instance path")
	}
	if !c.tree.Exists(p.Truncate(2)) && who == byServer {
		_, _, _, err := c.tree.resolve(p.Truncate(2))
		return answer(err)
	}
	dec, err := c.decodeFormat(req)
	if err != nil {
		return answer(err)
	}
	n, err := dec.Decode(p, req.Payload, c.models)
	if err != nil {
		return answer(decodeErr(err))
	}
	if err := c.tree.Write(p, &n, replace, who); err != nil {
		return answer(err)
	}
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}

func (c *Client) create(req *coap.Message, p lwm2m.Path, who access) *coap.Message {
	if who == byServer && hidden(p.Object()) {
		return answer(lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", p.Object()))
	}
	o, ok := c.tree.Object(p.Object())
	if !ok {
		return coap.ErrorResponse(lwm2m.CodeNotFound, "object %d is not supported", p.Object())
	}
	var created []lwm2m.Path
	if len(req.Payload) == 0 {
		loc, err := c.tree.Create(p, -1, nil, who)
		if err != nil {
			return answer(err)
		}
		created = append(created, loc)
	} else {
		dec, err := c.decodeFormat(req)
		if err != nil {
			return answer(err)
		}
		n, err := dec.Decode(p, req.Payload, c.models)
		if err != nil || len(n.Children) == 0 {
			// Without an instance id the payload holds bare resources
			// (TLV): decode them as the instance the client will choose.
			id, free := o.freeInstanceID()
			if !free {
				return coap.ErrorResponse(lwm2m.CodeInternalServerError, "object %d has no free instance id", p.Object())
			}
			in, err2 := dec.Decode(p.Child(id), req.Payload, c.models)
			if err2 != nil {
				if err == nil {
					err = err2
				}
				return answer(decodeErr(err))
			}
			loc, err := c.tree.Create(p, -1, in.Children, who)
			if err != nil {
				return answer(err)
			}
			created = append(created, loc)
		} else {
			for i := range n.Children {
				in := &n.Children[i]
				loc, err := c.tree.Create(p, int(in.ID), in.Children, who)
				if err != nil {
					return answer(err)
				}
				created = append(created, loc)
			}
		}
	}
	resp := coap.NewResponse(lwm2m.CodeCreated, nil)
	if len(created) == 1 {
		resp.SetLocationPath(created[0].Segments()...)
	}
	return resp
}

func (c *Client) writeAttributes(req *coap.Message, p lwm2m.Path, who access) *coap.Message {
	q := req.Query()
	if len(q) == 0 {
		return coap.ErrorResponse(lwm2m.CodeBadRequest, "PUT without payload or attributes")
	}
	a, err := lwm2m.ParseAttributes(q)
	if err != nil {
		return coap.ErrorResponse(lwm2m.CodeBadRequest, "%s: %v", p, err)
	}
	if err := c.tree.WriteAttributes(p, a, who); err != nil {
		return answer(err)
	}
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}

// queryParam returns the value of name=value among Uri-Query options.
func queryParam(q []string, name string) (string, bool) {
	for _, s := range q {
		if k, v, _ := strings.Cut(s, "="); k == name {
			return v, true
		}
	}
	return "", false
}
