package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// errSessionTimeout ends a session that ran past Config.SessionTimeout.
var errSessionTimeout = errors.New("bootstrap: session took longer than its timeout")

// session is one bootstrap session in progress.
type session struct {
	req    Request
	peer   *coap.Peer
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// start runs a session for req on p in the background. A session already
// running for the endpoint is cancelled (ErrSuperseded) and reports first.
func (s *Server) start(p *coap.Peer, req Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrClosed
	}
	old := s.sessions[req.Endpoint]
	if old == nil && len(s.sessions) >= s.cfg.MaxSessions {
		return fmt.Errorf("%d bootstrap sessions are in progress, the most this server runs", len(s.sessions))
	}
	if old != nil {
		old.cancel(ErrSuperseded)
	}
	ctx, cancel := context.WithCancelCause(s.ctx)
	ss := &session{req: req, peer: p, cancel: cancel, done: make(chan struct{})}
	s.sessions[req.Endpoint] = ss
	s.wg.Go(func() {
		defer cancel(nil)
		if old != nil {
			<-old.done
		}
		tctx, stop := context.WithTimeoutCause(ctx, s.cfg.SessionTimeout, errSessionTimeout)
		res := s.run(tctx, ss)
		stop()
		s.mu.Lock()
		if s.sessions[req.Endpoint] == ss {
			delete(s.sessions, req.Endpoint)
		}
		s.mu.Unlock()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(s.ctx), 30*time.Second)
		s.prov.Finished(rctx, res)
		rcancel()
		close(ss.done)
	})
	return nil
}

// failure is a step that went wrong.
type failure struct {
	step Step
	path lwm2m.Path
	code lwm2m.Code
	err  error
}

func (f *failure) Error() string { return f.err.Error() }

// run performs the session and says how it ended.
func (s *Server) run(ctx context.Context, ss *session) Result {
	res := Result{Request: ss.req, Started: s.cfg.Now(), Format: lwm2m.FormatNone}
	err := s.steps(ctx, ss, &res)
	res.Finished = s.cfg.Now()
	log := s.log.With().Str("endpoint", ss.req.Endpoint).Logger()
	var f *failure
	switch {
	case err == nil:
		res.OK, res.Step = true, StepDone
		log.Info().Int("accounts", len(res.Written)).Str("format", res.Format.String()).Msg("bootstrap: session finished")
	case errors.As(err, &f):
		res.Step, res.Path, res.Code, res.Err = f.step, f.path, f.code, f.err
		log.Warn().Str("step", string(f.step)).Stringer("path", f.path).Stringer("code", f.code).Err(f.err).Msg("bootstrap: session failed")
	default:
		res.Step, res.Err = StepPlan, err
		log.Warn().Err(err).Msg("bootstrap: session failed")
	}
	return res
}

func (s *Server) steps(ctx context.Context, ss *session, res *Result) error {
	st, err := s.discover(ctx, ss)
	if err != nil {
		return err
	}
	if st.Discovered && atLeast11(st.Version) {
		if st.Servers, err = s.readObject(ctx, ss, objServer); err != nil {
			return err
		}
		if lists(st.Links, objAccessControl) {
			if st.AccessControl, err = s.readObject(ctx, ss, objAccessControl); err != nil {
				return err
			}
		}
	}
	res.State = st
	plan, err := s.prov.Plan(ctx, ss.req, st)
	if err != nil {
		return &failure{step: StepPlan, err: err}
	}
	res.Plan = plan
	if err := validatePlan(&res.Plan); err != nil {
		return &failure{step: StepPlan, err: err}
	}
	plan = res.Plan
	res.Format = chooseFormat(plan.Format, ss.req.PreferredFormat, s.cfg.Codecs)
	if err := s.deleteOld(ctx, ss, st, len(plan.AccessControl) > 0); err != nil {
		return err
	}
	ids := securityIDs(st, len(plan.Accounts))
	for i := range plan.Accounts {
		a := &plan.Accounts[i]
		sec := securityInstance(ids[i], a)
		if err := s.write(ctx, ss, res.Format, lwm2m.InstancePath(objSecurity, ids[i]), &sec); err != nil {
			return err
		}
		srv := serverInstance(uint16(i), a)
		if err := s.write(ctx, ss, res.Format, lwm2m.InstancePath(objServer, uint16(i)), &srv); err != nil {
			return err
		}
		res.Written = append(res.Written, WrittenAccount{ShortServerID: a.ShortServerID, SecurityInstance: ids[i], ServerInstance: uint16(i)})
	}
	for i := range plan.AccessControl {
		acl := aclInstance(uint16(i), &plan.AccessControl[i])
		if err := s.write(ctx, ss, res.Format, lwm2m.InstancePath(objAccessControl, uint16(i)), &acl); err != nil {
			return err
		}
	}
	resp, err := s.do(ctx, ss, coap.NewRequest(coap.POST, "bs"))
	if errors.Is(err, coap.ErrClosed) && s.ctx.Err() == nil {
		// Some clients close their DTLS session on Bootstrap-Finish before
		// the answer leaves. Every write was accepted, so the session
		// counts as finished; nothing is lost if the device did refuse:
		// its old credentials stay valid until it uses the new ones.
		s.log.Debug().Str("endpoint", ss.req.Endpoint).Msg("bootstrap: session closed by the device on Bootstrap-Finish")
		res.FinishUnconfirmed = true
		return nil
	}
	if err != nil {
		return &failure{step: StepFinish, err: err}
	}
	if resp.Code != lwm2m.CodeChanged {
		return &failure{step: StepFinish, code: resp.Code, err: deviceError("Bootstrap-Finish", resp)}
	}
	return nil
}

// do sends one request of the session, bounded by RequestTimeout; a
// session that was cancelled says why.
func (s *Server) do(ctx context.Context, ss *session, req *coap.Message) (*coap.Message, error) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	resp, err := ss.peer.Do(rctx, req)
	if err != nil {
		if s.ctx.Err() != nil {
			return nil, ErrClosed
		}
		if cause := context.Cause(ctx); cause != nil {
			return nil, cause
		}
		return nil, fmt.Errorf("%s %s: %w", coap.MethodName(req.Code), req.PathString(), err)
	}
	return resp, nil
}

// discover runs Bootstrap-Discover of the root. A device that refuses it
// (1.0 devices may) is treated as undiscovered; a malformed answer too.
func (s *Server) discover(ctx context.Context, ss *session) (DeviceState, error) {
	req := coap.NewRequest(coap.GET)
	req.SetAccept(lwm2m.FormatLinkFormat)
	resp, err := s.do(ctx, ss, req)
	if err != nil {
		return DeviceState{}, &failure{step: StepDiscover, err: err}
	}
	undiscovered := DeviceState{Version: "1.0"}
	if resp.Code != lwm2m.CodeContent {
		s.log.Debug().Str("endpoint", ss.req.Endpoint).Stringer("code", resp.Code).Msg("bootstrap: no Bootstrap-Discover; deleting by object")
		return undiscovered, nil
	}
	st, err := analyseDiscover(resp.Payload)
	if err != nil {
		s.log.Warn().Str("endpoint", ss.req.Endpoint).Err(err).Msg("bootstrap: unreadable Bootstrap-Discover answer; deleting by object")
		return undiscovered, nil
	}
	return st, nil
}

// lists reports whether Discover listed object o (or an instance of it).
func lists(links []lwm2m.Link, o uint16) bool {
	for i := range links {
		if p, err := links[i].Path(); err == nil && !p.IsRoot() && p.Object() == o {
			return true
		}
	}
	return false
}

// readObject runs Bootstrap-Read of /1 or /2; a refused or undecodable
// read is logged and skipped.
func (s *Server) readObject(ctx context.Context, ss *session, obj uint16) (*lwm2m.Node, error) {
	p := lwm2m.ObjectPath(obj)
	resp, err := s.do(ctx, ss, coap.NewRequest(coap.GET, p.Segments()...))
	if err != nil {
		return nil, &failure{step: StepRead, path: p, err: err}
	}
	if resp.Code != lwm2m.CodeContent {
		s.log.Debug().Str("endpoint", ss.req.Endpoint).Stringer("path", p).Stringer("code", resp.Code).Msg("bootstrap: Bootstrap-Read refused")
		return nil, nil
	}
	n, err := s.cfg.Codecs.Decode(resp.ContentFormat(), p, resp.Payload, s.cfg.Models)
	if err != nil {
		s.log.Warn().Str("endpoint", ss.req.Endpoint).Stringer("path", p).Err(err).Msg("bootstrap: undecodable Bootstrap-Read")
		return nil, nil
	}
	return &n, nil
}

// deleteOld removes the management accounts: instance by instance when
// Discover listed them (never the bootstrap account), else /0 and /1 as
// objects; /2 too when access control is planned. Deleting what is not
// there (4.04) is fine.
func (s *Server) deleteOld(ctx context.Context, ss *session, st DeviceState, acl bool) error {
	var targets []lwm2m.Path
	if st.Discovered {
		for _, a := range st.ServerAccounts {
			targets = append(targets, lwm2m.InstancePath(objSecurity, a.Instance))
		}
	} else {
		targets = append(targets, lwm2m.ObjectPath(objSecurity))
	}
	targets = append(targets, lwm2m.ObjectPath(objServer))
	if acl {
		targets = append(targets, lwm2m.ObjectPath(objAccessControl))
	}
	for _, p := range targets {
		resp, err := s.do(ctx, ss, coap.NewRequest(coap.DELETE, p.Segments()...))
		if err != nil {
			return &failure{step: StepDelete, path: p, err: err}
		}
		if resp.Code != lwm2m.CodeDeleted && resp.Code != lwm2m.CodeNotFound {
			return &failure{step: StepDelete, path: p, code: resp.Code, err: deviceError("Bootstrap-Delete "+p.String(), resp)}
		}
	}
	return nil
}

// write sends a Bootstrap-Write of a whole instance.
func (s *Server) write(ctx context.Context, ss *session, f lwm2m.ContentFormat, p lwm2m.Path, n *lwm2m.Node) error {
	body, err := s.cfg.Codecs.Encode(f, p, n)
	if err != nil {
		return &failure{step: StepWrite, path: p, err: fmt.Errorf("encoding %s as %s: %w", p, f, err)}
	}
	req := coap.NewRequest(coap.PUT, p.Segments()...)
	req.SetContentFormat(f)
	req.Payload = body
	resp, err := s.do(ctx, ss, req)
	if err != nil {
		return &failure{step: StepWrite, path: p, err: err}
	}
	if resp.Code != lwm2m.CodeChanged {
		return &failure{step: StepWrite, path: p, code: resp.Code, err: deviceError("Bootstrap-Write "+p.String(), resp)}
	}
	return nil
}

// deviceError describes an error answer, with the device's diagnostic
// when it sent readable text.
func deviceError(op string, resp *coap.Message) error {
	reason := ""
	if f := resp.ContentFormat(); (f == lwm2m.FormatNone || f == lwm2m.FormatText) && utf8.Valid(resp.Payload) && len(resp.Payload) <= 256 {
		reason = string(resp.Payload)
	}
	return fmt.Errorf("%s: the device answered %w", op, &lwm2m.Status{Code: resp.Code, Reason: reason})
}
