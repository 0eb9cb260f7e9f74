package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// Send performs one downlink operation on a registered device and returns
// its answer. The content format is chosen per device (see chooseFormat).
// A device's error answer (4.04, 4.05, …) is a Response with that code and
// a nil error; Response.Err turns it into one. Errors are ErrNotRegistered,
// ErrInvalidRequest, ErrTimeout (default 10 s, Request.Timeout overrides),
// ErrDeviceAsleep and ErrQueueFull (queue-mode devices), ErrNotConnected,
// ErrBadResponse, or the context's error.
func (s *Server) Send(ctx context.Context, endpoint string, req lwm2m.Request) (lwm2m.Response, error) {
	start := time.Now()
	resp, err := s.send1(ctx, endpoint, req)
	if err == nil || !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, ErrNotRegistered) {
		ev := OperationEvent{Endpoint: endpoint, Request: req, Code: resp.Code, Err: err, Duration: time.Since(start)}
		s.ev.emit(func(l Listener) { l.Operation(ev) })
	}
	return resp, err
}

func (s *Server) send1(ctx context.Context, endpoint string, req lwm2m.Request) (lwm2m.Response, error) {
	if err := req.Validate(); err != nil {
		return lwm2m.Response{}, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	d := s.device(endpoint)
	if d == nil {
		return lwm2m.Response{}, fmt.Errorf("%s: %w", endpoint, ErrNotRegistered)
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = s.cfg.RequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d.mu.Lock()
	queue := d.reg.QueueMode
	d.mu.Unlock()
	if queue {
		return s.sendQueued(ctx, d, req)
	}
	return s.deliver(ctx, d, req)
}

// plan is a request ready for the wire and what is needed to read its
// answer.
type plan struct {
	msg    *coap.Message
	format lwm2m.ContentFormat
	root   []string
}

// deliver sends req to d now.
func (s *Server) deliver(ctx context.Context, d *device, req lwm2m.Request) (lwm2m.Response, error) {
	d.mu.Lock()
	peer, gone, ep := d.peer, d.gone, d.reg.Endpoint
	pl, err := s.plan(d, &req)
	d.mu.Unlock()
	switch {
	case gone:
		return lwm2m.Response{}, fmt.Errorf("%s: %w", ep, ErrNotRegistered)
	case err != nil:
		return lwm2m.Response{}, err
	case peer == nil:
		return lwm2m.Response{}, fmt.Errorf("%s: %w", ep, ErrNotConnected)
	}
	switch req.Op {
	case lwm2m.OpObserve, lwm2m.OpObserveComposite:
		return s.observe(ctx, d, peer, req, pl)
	case lwm2m.OpCancelObserve, lwm2m.OpCancelObserveComposite:
		return s.cancelObserve(ctx, d, req, pl)
	}
	m, err := peer.Do(ctx, pl.msg)
	if err != nil {
		return lwm2m.Response{}, transportErr(ep, err)
	}
	s.heard(d) // an answer is an uplink too: it extends the awake window
	return s.decode(req, pl, m)
}

func transportErr(ep string, err error) error {
	switch {
	case errors.Is(err, coap.ErrTimeout):
		return fmt.Errorf("%s: %w: %w", ep, ErrTimeout, err)
	case errors.Is(err, coap.ErrClosed):
		return fmt.Errorf("%s: %w: %w", ep, ErrNotConnected, err)
	}
	return fmt.Errorf("%s: %w", ep, err)
}

// plan builds the CoAP request for req (d.mu held).
func (s *Server) plan(d *device, req *lwm2m.Request) (plan, error) {
	pl := plan{root: rootSegments(d.reg.RootPath)}
	f := s.chooseFormat(d, req)
	m := &coap.Message{Type: coap.Confirmable}
	path := func(p lwm2m.Path) { m.SetPath(append(append([]string(nil), pl.root...), p.Segments()...)...) }
	bad := func(err error) (plan, error) {
		return plan{}, fmt.Errorf("%w: %s on %s: %w", ErrInvalidRequest, req.Op, req.Path, err)
	}
	var err error
	switch req.Op {
	case lwm2m.OpRead, lwm2m.OpObserve, lwm2m.OpCancelObserve:
		m.Code = coap.GET
		path(req.Path)
		m.SetAccept(f)
		pl.format = f
		if req.Op == lwm2m.OpObserve && !req.Attributes.IsZero() {
			m.AddQuery(req.Attributes.Query()...)
		}
	case lwm2m.OpDiscover:
		m.Code = coap.GET
		path(req.Path)
		m.SetAccept(lwm2m.FormatLinkFormat)
		pl.format = lwm2m.FormatLinkFormat
	case lwm2m.OpWrite, lwm2m.OpWriteUpdate:
		m.Code = coap.PUT
		if req.Op == lwm2m.OpWriteUpdate {
			m.Code = coap.POST
		}
		path(req.Path)
		m.SetContentFormat(f)
		if m.Payload, err = s.cfg.Codecs.Encode(f, req.Path, req.Content); err != nil {
			return bad(err)
		}
	case lwm2m.OpWriteAttributes:
		m.Code = coap.PUT
		path(req.Path)
		m.AddQuery(req.Attributes.Query()...)
	case lwm2m.OpExecute:
		m.Code = coap.POST
		path(req.Path)
		if req.Args != "" {
			m.Payload = []byte(req.Args)
		}
	case lwm2m.OpCreate:
		m.Code = coap.POST
		path(req.Path)
		if req.Content != nil {
			if req.NoInstanceID {
				if !s.cfg.Codecs.Has(lwm2m.FormatTLV) {
					return bad(errors.New("creating without an instance id needs TLV"))
				}
				// TLV carries an instance's resources without the instance
				// wrapper: the device picks the id.
				f = lwm2m.FormatTLV
				inst := *req.Content
				m.Payload, err = s.cfg.Codecs.Encode(f, req.Path.Child(inst.ID), &inst)
			} else {
				obj := lwm2m.NewObject(req.Path.Object(), *req.Content)
				m.Payload, err = s.cfg.Codecs.Encode(f, req.Path, &obj)
			}
			if err != nil {
				return bad(err)
			}
			m.SetContentFormat(f)
		}
	case lwm2m.OpDelete:
		m.Code = coap.DELETE
		path(req.Path)
	case lwm2m.OpReadComposite, lwm2m.OpObserveComposite, lwm2m.OpCancelObserveComposite:
		m.Code = coap.FETCH
		m.SetPath(pl.root...)
		recs := make([]lwm2m.Record, len(req.Paths))
		for i, p := range req.Paths {
			recs[i] = lwm2m.Record{Path: p}
		}
		if m.Payload, err = s.cfg.Codecs.EncodeRecords(f, lwm2m.Root, recs); err != nil {
			return bad(err)
		}
		m.SetContentFormat(f)
		m.SetAccept(f)
		pl.format = f
	case lwm2m.OpWriteComposite:
		m.Code = coap.IPATCH
		m.SetPath(pl.root...)
		if m.Payload, err = s.cfg.Codecs.EncodeRecords(f, lwm2m.Root, req.Records); err != nil {
			return bad(err)
		}
		m.SetContentFormat(f)
	default:
		return bad(errors.New("unknown operation"))
	}
	pl.msg = m
	return pl, nil
}

func rootSegments(root string) []string {
	root = strings.Trim(root, "/")
	if root == "" {
		return nil
	}
	return strings.Split(root, "/")
}

// decode turns a device's answer into an lwm2m.Response.
func (s *Server) decode(req lwm2m.Request, pl plan, m *coap.Message) (lwm2m.Response, error) {
	resp := lwm2m.Response{Code: m.Code, Format: m.ContentFormat(), Payload: m.Payload}
	if !m.Code.IsSuccess() {
		return resp, nil
	}
	f := resp.Format
	if f == lwm2m.FormatNone {
		f = pl.format
	}
	bad := func(err error) (lwm2m.Response, error) {
		return resp, fmt.Errorf("%w: %s on %s: %w", ErrBadResponse, req.Op, req.Path, err)
	}
	switch req.Op {
	case lwm2m.OpRead, lwm2m.OpObserve, lwm2m.OpCancelObserve:
		if len(m.Payload) == 0 {
			return resp, nil
		}
		n, recs, err := s.decodeAt(f, req.Path, m.Payload)
		if err != nil {
			if req.Op == lwm2m.OpCancelObserve {
				// The observation is cancelled all the same; the last value
				// that came with the answer is a courtesy (lwm2m-node-lib
				// sends its values run together), kept raw in Payload.
				s.log.Debug().Err(err).Stringer("path", req.Path).Msg("server: undecodable value with a cancel-observe answer")
				return resp, nil
			}
			return bad(err)
		}
		resp.Content, resp.Records = n, recs
	case lwm2m.OpDiscover:
		links, err := linkformat.Parse(m.Payload)
		if err != nil {
			return bad(err)
		}
		resp.Links = links
	case lwm2m.OpReadComposite, lwm2m.OpObserveComposite, lwm2m.OpCancelObserveComposite:
		if len(m.Payload) == 0 {
			return resp, nil
		}
		recs, err := s.cfg.Codecs.DecodeRecords(f, lwm2m.Root, m.Payload, s.cfg.Models)
		if err != nil {
			return bad(err)
		}
		resp.Records = recs
	case lwm2m.OpCreate:
		loc := m.LocationPath()
		if len(loc) >= len(pl.root) {
			loc = loc[len(pl.root):]
		}
		if len(loc) > 0 {
			p, err := lwm2m.PathFromSegments(loc)
			if err != nil {
				return bad(fmt.Errorf("Location-Path: %w", err))
			}
			resp.Location = p
		} else if req.Content != nil && !req.NoInstanceID {
			resp.Location = req.Path.Child(req.Content.ID)
		}
	}
	return resp, nil
}

// decodeAt decodes a payload addressed to p: the node when the values
// carry no timestamps, else the timestamped records.
func (s *Server) decodeAt(f lwm2m.ContentFormat, p lwm2m.Path, data []byte) (*lwm2m.Node, []lwm2m.Record, error) {
	n, err := s.cfg.Codecs.Decode(f, p, data, s.cfg.Models)
	if err == nil {
		return &n, nil, nil
	}
	if !errors.Is(err, codec.ErrNotRepresentable) {
		return nil, nil, err
	}
	recs, err := s.cfg.Codecs.DecodeRecords(f, p, data, s.cfg.Models)
	return nil, recs, err
}
