package dm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// Execute performs any operation on a device. When the device can be
// reached now (registered, connected, awake) and the caller did not force
// queuing, the request goes out at once and the answer comes back within
// the timeout (o.Wait, else Config.RequestTimeout); such commands are not
// stored. Otherwise — or when the device turns out to be unreachable —
// the command is queued durably and delivered in order when the device
// shows up; the caller gets it at once (Queued true) unless o.Wait > 0
// asks to wait for its result. A device's error answer is a successful
// Execute whose Response carries the code.
//
// A customer runs commands on its own devices only, and only those
// checkOp allows.
func (s *Service) Execute(ctx context.Context, who Principal, endpoint string, req lwm2m.Request, o CommandOptions) (CommandResult, error) {
	if err := s.checkRequest(&req); err != nil {
		return CommandResult{}, err
	}
	d, err := s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return CommandResult{}, err
	}
	if err := checkOp(who, req); err != nil {
		return CommandResult{}, err
	}
	if !o.Queue && s.rt.presence.reachable(endpoint, s.now()) {
		res, err := s.sendNow(ctx, d, req, o)
		if err == nil || !unreachable(err) || o.NoQueue {
			return res, err
		}
		s.rt.presence.unreachable(endpoint, !errors.Is(err, server.ErrNotRegistered))
	} else if o.NoQueue {
		return CommandResult{}, s.whyUnreachable(endpoint)
	}
	c, err := s.enqueue(ctx, d, req, o)
	if err != nil {
		return CommandResult{}, err
	}
	if o.Wait > 0 {
		if c, err = s.waitCommand(ctx, c, o.Wait); err != nil {
			return CommandResult{}, err
		}
	}
	return CommandResult{Command: c, Response: c.Result, Queued: true}, nil
}

// sendNow sends req to a reachable device and waits for its answer.
func (s *Service) sendNow(ctx context.Context, d models.Device, req lwm2m.Request, o CommandOptions) (CommandResult, error) {
	snd, err := s.rt.sender()
	if err != nil {
		return CommandResult{}, err
	}
	timeout := o.Wait
	if timeout <= 0 {
		timeout = s.cfg.RequestTimeout
	}
	if req.Timeout <= 0 || req.Timeout > timeout {
		req.Timeout = timeout
	}
	start := s.now()
	resp, err := snd.Send(ctx, d.Endpoint, req)
	if err != nil {
		return CommandResult{}, fmt.Errorf("%s %s on %s: %w", req.Op, describe(req), d.Endpoint, err)
	}
	now := s.now()
	c := models.Command{DeviceID: d.ID, Endpoint: d.Endpoint, Request: req, Attempts: 1, MaxAttempts: 1,
		CreatedAt: start, UpdatedAt: now, Result: &resp, State: models.CommandSucceeded}
	if !resp.Code.IsSuccess() {
		c.State = models.CommandFailed
		c.Error = resp.Err().Error()
	}
	if mutates(req.Op) {
		s.rt.enqueue(func(ctx context.Context) {
			s.record(ctx, deviceEvent(d, models.CategoryOperation, req.Op.String(),
				map[string]any{"paths": requestPaths(req), "code": resp.Code.String(), "queued": false}))
		})
	}
	if resp.Code.IsSuccess() && (req.Op == lwm2m.OpObserve || req.Op == lwm2m.OpObserveComposite) {
		s.rt.enqueue(func(ctx context.Context) { s.ingestResponse(ctx, d, req, resp, now, "observe") })
	}
	return CommandResult{Command: c, Response: &resp}, nil
}

// enqueue stores a command for later delivery with the device's policy.
func (s *Service) enqueue(ctx context.Context, d models.Device, req lwm2m.Request, o CommandOptions) (models.Command, error) {
	prof, err := s.profileOf(ctx, d)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return models.Command{}, err
	}
	now := s.now()
	pol := s.retryPolicy(prof)
	c := models.Command{DeviceID: d.ID, Endpoint: d.Endpoint, Request: req, MaxAttempts: pol.MaxAttempts, NextAttemptAt: now}
	if o.MaxAttempts > 0 {
		c.MaxAttempts = o.MaxAttempts
	}
	expiry := s.cfg.DefaultCommandExpiry
	if prof != nil && prof.Spec.CommandExpiry > 0 {
		expiry = prof.Spec.CommandExpiry.D()
	}
	if o.Expiry > 0 {
		expiry = o.Expiry
	}
	if expiry > 0 {
		c.ExpiresAt = now.Add(expiry)
	}
	if err := s.st.Commands.Enqueue(ctx, &c); err != nil {
		return models.Command{}, err
	}
	s.record(ctx, deviceEvent(d, models.CategoryOperation, "command.queued",
		map[string]any{"command_id": c.ID, "op": req.Op.String(), "paths": requestPaths(req), "expires_at": c.ExpiresAt}))
	s.rt.disp.markPending(d.ID)
	if s.rt.presence.reachable(d.Endpoint, s.now()) {
		s.rt.disp.kick(d.ID)
	}
	return c, nil
}

// ExecuteSelection queues req for every device the selection matches and
// returns one result per device. A device whose queue is full gets a
// failed result (ID 0) with the reason; the others are queued. A customer
// selects among its own devices only.
func (s *Service) ExecuteSelection(ctx context.Context, who Principal, sel models.DeviceSelection, req lwm2m.Request, o CommandOptions) ([]CommandResult, error) {
	if err := s.checkRequest(&req); err != nil {
		return nil, err
	}
	if err := checkOp(who, req); err != nil {
		return nil, err
	}
	f, err := s.selectionFilter(ctx, who, sel)
	if err != nil {
		return nil, err
	}
	var out []CommandResult
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := s.st.Devices.List(ctx, f, p)
		if err != nil {
			return out, err
		}
		for _, d := range pg.Items {
			c, err := s.enqueue(ctx, d, req, o)
			if err != nil {
				if !errors.Is(err, ErrQueueFull) {
					return out, err
				}
				c = models.Command{DeviceID: d.ID, Endpoint: d.Endpoint, Request: req, State: models.CommandFailed, Error: err.Error()}
			}
			out = append(out, CommandResult{Command: c, Queued: c.ID != 0})
		}
		if pg.Next == "" {
			return out, nil
		}
		p.Cursor = pg.Next
	}
}

// GetCommand returns a stored command.
func (s *Service) GetCommand(ctx context.Context, who Principal, id int64) (models.Command, error) {
	c, err := s.st.Commands.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return models.Command{}, notFound("command", id)
	}
	if err != nil || !who.scoped() {
		return c, err
	}
	d, err := s.deviceByID(ctx, c.DeviceID)
	if errors.Is(err, ErrNotFound) || err == nil && !who.sees(d.CustomerID) {
		return models.Command{}, notFound("command", id)
	}
	return c, err
}

// CancelCommand cancels a pending (or in-flight) command.
func (s *Service) CancelCommand(ctx context.Context, who Principal, id int64) (models.Command, error) {
	if _, err := s.GetCommand(ctx, who, id); err != nil {
		return models.Command{}, err
	}
	c, err := s.st.Commands.Cancel(ctx, id, s.now())
	if err != nil {
		return c, err
	}
	s.rt.waiters.done(c)
	ev := models.Event{DeviceID: c.DeviceID, Endpoint: c.Endpoint, Category: models.CategoryOperation,
		Type: "command.cancelled", Actor: who.Actor(), Data: jsonOf(map[string]any{"command_id": c.ID})}
	if d, err := s.deviceByID(ctx, c.DeviceID); err == nil {
		ev.CustomerID = d.CustomerID
	}
	s.record(ctx, ev)
	return c, nil
}

// ListCommands lists stored commands in id order; a customer lists its
// devices' commands.
func (s *Service) ListCommands(ctx context.Context, who Principal, f CommandFilter, p PageRequest) (Page[models.Command], error) {
	if err := who.scopeCustomer(&f.CustomerID); err != nil {
		return Page[models.Command]{}, err
	}
	return s.st.Commands.List(ctx, f, p)
}

// selectionFilter turns a device selection into a device filter, scoped
// to what who sees. An asset selects the devices it contains, through
// nested assets; a customer's selection of an asset it does not own
// selects nothing.
func (s *Service) selectionFilter(ctx context.Context, who Principal, sel models.DeviceSelection) (DeviceFilter, error) {
	f := DeviceFilter{IDs: sel.IDs, Endpoints: sel.Endpoints, Labels: sel.Labels, ProfileID: sel.ProfileID,
		CustomerID: sel.CustomerID, AssetID: sel.AssetID}
	if len(f.IDs) == 0 && len(f.Endpoints) == 0 && len(f.Labels) == 0 && f.ProfileID == 0 && f.CustomerID == 0 && f.AssetID == 0 {
		return f, fmt.Errorf("%w: selection: selects nothing (give ids, endpoints, labels, a profile, a customer or an asset)", ErrInvalid)
	}
	if f.ProfileID != 0 {
		if err := needFleet(who, "selecting devices by profile"); err != nil {
			return f, err
		}
	}
	if f.AssetID != 0 {
		if _, err := s.assetFor(ctx, who, f.AssetID); errors.Is(err, ErrNotFound) {
			return f, fmt.Errorf("%w: selection.asset: no asset %d", ErrInvalid, f.AssetID)
		} else if err != nil {
			return f, err
		}
	}
	return f, who.scopeCustomer(&f.CustomerID)
}

// checkRequest validates a request and, where Shoal knows the object,
// converts written values to the resources' types (a value that does not
// fit is ErrInvalid naming the path).
func (s *Service) checkRequest(req *lwm2m.Request) error {
	if err := req.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if req.Format != lwm2m.FormatNone && !req.Format.Known() {
		return fmt.Errorf("%w: format: %s is not a content format Shoal knows", ErrInvalid, req.Format)
	}
	if req.Content != nil {
		at := req.Path
		if req.Op == lwm2m.OpCreate {
			at = req.Path.Child(req.Content.ID)
		}
		c := cloneNode(*req.Content)
		if err := s.convertNode(&c, at); err != nil {
			return err
		}
		req.Content = &c
	}
	if len(req.Records) > 0 {
		recs := make([]lwm2m.Record, len(req.Records))
		for i, r := range req.Records {
			v, err := s.convertValue(r.Path, r.Value)
			if err != nil {
				return err
			}
			recs[i] = lwm2m.Record{Path: r.Path, Value: v, Time: r.Time}
		}
		req.Records = recs
	}
	return nil
}

// convertNode converts the leaves of n (at p) to their resources' types.
func (s *Service) convertNode(n *lwm2m.Node, p lwm2m.Path) error {
	if n.IsLeaf() {
		v, err := s.convertValue(p, n.Value)
		n.Value = v
		return err
	}
	if p.Len() >= 4 {
		return nil
	}
	for i := range n.Children {
		c := &n.Children[i]
		if err := s.convertNode(c, p.Child(c.ID)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) convertValue(p lwm2m.Path, v lwm2m.Value) (lwm2m.Value, error) {
	rm, ok := lwm2m.ResourceModelAt(s.models, p)
	if !ok || v.IsNone() || v.Type() == rm.Type {
		return v, nil
	}
	out, err := v.Convert(rm.Type)
	if err != nil {
		return v, fmt.Errorf("%w: value at %s: resource %s is %s: %w", ErrInvalid, p, rm.Name, rm.Type, err)
	}
	return out, nil
}

func cloneNode(n lwm2m.Node) lwm2m.Node {
	if len(n.Children) > 0 {
		cs := make([]lwm2m.Node, len(n.Children))
		for i := range n.Children {
			cs[i] = cloneNode(n.Children[i])
		}
		n.Children = cs
	}
	return n
}

// unreachable reports whether a send failed because the device could not
// be reached (so queuing the command makes sense).
func unreachable(err error) bool {
	return errors.Is(err, server.ErrNotRegistered) || errors.Is(err, server.ErrNotConnected) ||
		errors.Is(err, server.ErrDeviceAsleep)
}

// whyUnreachable explains why a device cannot be reached now.
func (s *Service) whyUnreachable(ep string) error {
	st, ok := s.rt.presence.state(ep)
	switch {
	case !ok:
		return fmt.Errorf("%s: %w", ep, server.ErrNotRegistered)
	case st.queueMode && (!st.awake || st.window > 0 && s.now().Sub(st.heard) >= st.window):
		return fmt.Errorf("%s: %w", ep, server.ErrDeviceAsleep)
	}
	return fmt.Errorf("%s: %w", ep, server.ErrNotConnected)
}

// mutates reports whether an operation changes the device (so it is worth
// an event).
func mutates(op lwm2m.Operation) bool {
	switch op {
	case lwm2m.OpRead, lwm2m.OpDiscover, lwm2m.OpReadComposite:
		return false
	}
	return true
}

func requestPaths(req lwm2m.Request) []lwm2m.Path {
	if len(req.Paths) > 0 {
		return req.Paths
	}
	if len(req.Records) > 0 {
		ps := make([]lwm2m.Path, len(req.Records))
		for i, r := range req.Records {
			ps[i] = r.Path
		}
		return ps
	}
	return []lwm2m.Path{req.Path}
}

func describe(req lwm2m.Request) string {
	ps := requestPaths(req)
	if len(ps) == 1 {
		return ps[0].String()
	}
	return fmt.Sprint(ps)
}

// retryPolicy returns the profile's retry policy, falling back field by
// field to the configured default.
func (s *Service) retryPolicy(p *models.Profile) models.RetryPolicy {
	pol := s.cfg.DefaultRetry
	if p == nil {
		return pol
	}
	r := p.Spec.Retry
	if r.MaxAttempts > 0 {
		pol.MaxAttempts = r.MaxAttempts
	}
	if r.Backoff > 0 {
		pol.Backoff = r.Backoff
	}
	if r.Multiplier > 0 {
		pol.Multiplier = r.Multiplier
	}
	if r.MaxBackoff > 0 {
		pol.MaxBackoff = r.MaxBackoff
	}
	return pol
}

// backoff is the delay after the attempts-th attempt failed: Backoff ·
// Multiplier^(attempts-1), capped at MaxBackoff.
func backoff(pol models.RetryPolicy, attempts int) time.Duration {
	d := float64(pol.Backoff.D())
	m := pol.Multiplier
	if m < 1 {
		m = 1
	}
	for i := 1; i < attempts && i < 64; i++ {
		d *= m
		if pol.MaxBackoff > 0 && d >= float64(pol.MaxBackoff.D()) {
			break
		}
	}
	if pol.MaxBackoff > 0 && d > float64(pol.MaxBackoff.D()) {
		d = float64(pol.MaxBackoff.D())
	}
	if d > float64(365*24*time.Hour) {
		d = float64(365 * 24 * time.Hour)
	}
	return time.Duration(d)
}
