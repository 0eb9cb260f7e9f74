package client

import (
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// compositePaths decodes the path list of a Read- or Observe-Composite.
func (c *Client) compositePaths(req *coap.Message) ([]lwm2m.Path, error) {
	dec, err := c.decodeFormat(req)
	if err != nil {
		return nil, err
	}
	recs, err := dec.DecodeRecords(lwm2m.Root, req.Payload, c.models)
	if err != nil {
		return nil, decodeErr(err)
	}
	if len(recs) == 0 {
		return nil, lwm2m.Errorf(lwm2m.CodeBadRequest, "composite request names no paths")
	}
	paths := make([]lwm2m.Path, len(recs))
	for i, r := range recs {
		if r.Path.IsRoot() {
			return nil, lwm2m.Errorf(lwm2m.CodeBadRequest, "record %d: a composite target cannot be the root", i)
		}
		paths[i] = r.Path
	}
	return paths, nil
}

// compositeRecords reads every path; paths that do not exist are left out
// (4.04 only when none exists), other refusals fail the whole read.
func (c *Client) compositeRecords(paths []lwm2m.Path, who access) ([]lwm2m.Record, error) {
	var recs []lwm2m.Record
	found := false
	for _, p := range paths {
		n, err := c.tree.Read(p, who)
		if err != nil {
			if code, _ := lwm2m.StatusCode(err); code == lwm2m.CodeNotFound {
				continue
			}
			return nil, err
		}
		found = true
		recs = n.AppendRecords(recs, p, timeZero)
	}
	if !found {
		return nil, lwm2m.Errorf(lwm2m.CodeNotFound, "none of the %d paths exists", len(paths))
	}
	return recs, nil
}

func (c *Client) readComposite(req *coap.Message, who access) *coap.Message {
	paths, err := c.compositePaths(req)
	if err != nil {
		return answer(err)
	}
	if obs, ok := req.Observe(); ok {
		return c.observe(req, paths, true, obs)
	}
	recs, err := c.compositeRecords(paths, who)
	if err != nil {
		return answer(err)
	}
	f, b, err := c.encodeRecords(req.Accept(), recs)
	if err != nil {
		return answer(err)
	}
	return contentResponse(f, b)
}

// writeComposite applies every record or none (Core TS 1.1 §6.3.11): the
// records are grouped by instance and staged first.
func (c *Client) writeComposite(req *coap.Message, who access) *coap.Message {
	dec, err := c.decodeFormat(req)
	if err != nil {
		return answer(err)
	}
	recs, err := dec.DecodeRecords(lwm2m.Root, req.Payload, c.models)
	if err != nil {
		return answer(decodeErr(err))
	}
	if len(recs) == 0 {
		return coap.ErrorResponse(lwm2m.CodeBadRequest, "write-composite carries no values")
	}
	if err := c.tree.WriteComposite(recs, who); err != nil {
		return answer(err)
	}
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}

// WriteComposite writes records at resource and resource-instance paths
// (Core TS 1.1 §6.3.11) all or nothing: every instance must exist (4.04)
// and every value must pass the same checks as Write.
func (t *Tree) WriteComposite(recs []lwm2m.Record, who access) error {
	type group struct {
		o    *Object
		in   *Instance
		recs []lwm2m.Record
	}
	var groups []*group
	for _, r := range recs {
		if r.Path.Len() < 3 {
			return lwm2m.Errorf(lwm2m.CodeBadRequest, "%s: a value needs a resource or resource-instance path", r.Path)
		}
		if who == byServer && hidden(r.Path.Object()) {
			return lwm2m.Errorf(lwm2m.CodeUnauthorized, "object %d is reserved to the bootstrap server", r.Path.Object())
		}
		ip := r.Path.Truncate(2)
		o, in, _, err := t.resolve(ip)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(groups, func(g *group) bool { return g.o == o && g.in == in })
		if i < 0 {
			groups = append(groups, &group{o: o, in: in})
			i = len(groups) - 1
		}
		groups[i].recs = append(groups[i].recs, r)
	}
	staged := make([]*Instance, len(groups))
	ids := make([][]uint16, len(groups))
	for i, g := range groups {
		ip := lwm2m.InstancePath(g.o.Model.ID, g.in.ID)
		n, err := lwm2m.BuildNode(ip, g.recs)
		if err != nil {
			return lwm2m.Errorf(lwm2m.CodeBadRequest, "%v", err)
		}
		s, changed, err := t.stageInstance(g.o, g.in, g.in.ID, n.Children, false, who)
		if err != nil {
			return err
		}
		staged[i], ids[i] = s, changed
	}
	for i, g := range groups {
		t.commit(g.o, staged[i], ids[i], who)
	}
	return nil
}
