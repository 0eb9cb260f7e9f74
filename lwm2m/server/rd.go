package server

import (
	"context"
	"errors"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// serveCoAP routes uplink requests: /rd (Register, Update, De-register),
// /dp (Send), /bs (bootstrap, when configured) and GETs of files (when
// configured).
func (s *Server) serveCoAP(ctx context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	// Routed on the option bytes: Updates are the hottest messages.
	n := req.PathLen()
	first, _ := req.PathSegment(0)
	switch {
	case n == 1 && string(first) == "rd":
		if req.Code != coap.POST {
			return methodNotAllowed(req)
		}
		return s.register(ctx, p, req)
	case n == 2 && string(first) == "rd":
		id, _ := req.PathSegment(1)
		switch req.Code {
		case coap.POST:
			return s.update(ctx, p, req, id)
		case coap.DELETE:
			return s.deregister(p, id)
		}
		return methodNotAllowed(req)
	case n == 1 && string(first) == "dp":
		if req.Code != coap.POST {
			return methodNotAllowed(req)
		}
		return s.send(p, req)
	case n >= 1 && string(first) == "bs" && s.cfg.Bootstrap != nil:
		return s.cfg.Bootstrap.ServeCoAP(ctx, p, req)
	case n >= 1 && s.cfg.Files != nil && string(first) == s.cfg.FilesPath:
		if req.Code != coap.GET {
			return methodNotAllowed(req)
		}
		return s.cfg.Files.ServeCoAP(ctx, p, req)
	}
	return statusResponse(lwm2m.Errorf(lwm2m.CodeNotFound, "no resource %s", req.PathString()))
}

func methodNotAllowed(req *coap.Message) *coap.Message {
	return statusResponse(lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "%s is not allowed on %s", coap.MethodName(req.Code), req.PathString()))
}

// statusResponse turns an error into a response with a diagnostic payload:
// a *lwm2m.Status keeps its code, anything else is 5.00.
func statusResponse(err error) *coap.Message {
	var st *lwm2m.Status
	if !errors.As(err, &st) {
		st = &lwm2m.Status{Code: lwm2m.CodeInternalServerError, Reason: err.Error()}
	}
	m := coap.NewResponse(st.Code, []byte(st.Reason))
	if st.Reason != "" {
		m.SetContentFormat(lwm2m.FormatText)
	}
	return m
}

// parseLinks reads a Register or Update payload (link-format or no
// Content-Format; anything else is 4.15).
func (s *Server) parseLinks(p *coap.Peer, req *coap.Message) (linkformat.Registration, error) {
	if cf := req.ContentFormat(); cf != lwm2m.FormatNone && cf != lwm2m.FormatLinkFormat {
		return linkformat.Registration{}, lwm2m.Errorf(lwm2m.CodeUnsupportedContentFormat, "registration payload must be link-format (40), not %s", cf)
	}
	links, err := linkformat.ParseRegistration(req.Payload)
	if err != nil {
		s.security(SecurityEvent{Kind: "bad-request", Address: p.RemoteAddr(), Identity: p.Identity().String(), Reason: err.Error()})
		return links, lwm2m.Errorf(lwm2m.CodeBadRequest, "object links: %v", err)
	}
	return links, nil
}
