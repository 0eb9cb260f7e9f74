package dm

import (
	"context"
	"errors"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// infoResources are the /3/0 resources DeviceInfo shows, read one by one
// when the device cannot answer a read of the whole instance.
var infoResources = []uint16{resManufacturer, resModelNumber, resSerialNumber, resFirmware, resBatteryLevel}

// readInfo performs req, the read of /3/0 after a registration, and keeps
// what it returns. A device that refuses the instance read (4.05, 4.06,
// 4.00 …) or lets it time out — some only answer single resources in
// text/plain — is asked for the resources DeviceInfo shows one by one
// instead, once: the instance read is not retried. It returns a step per
// request and whether req is to be retried (the device did not answer the
// single-resource reads either, or the request failed short of the
// device).
func (s *Service) readInfo(ctx context.Context, snd Sender, d models.Device, req lwm2m.Request) (steps []step, retry bool) {
	resp, err := snd.Send(ctx, d.Endpoint, req)
	st := step{Op: req.Op.String(), Paths: []lwm2m.Path{req.Path}}
	switch {
	case err == nil && resp.Code.IsSuccess():
		st.Code = resp.Code.String()
		s.storeRead(ctx, d, req.Path, resp)
		return []step{st}, false
	case err == nil:
		st.Code = resp.Code.String()
	case errors.Is(err, server.ErrTimeout):
		st.Error = err.Error()
	default:
		st.Error = err.Error()
		return []step{st}, true
	}
	steps = append(steps, st)
	var recs []lwm2m.Record
	for i, p := range s.infoPaths(ctx, d) {
		if ctx.Err() != nil {
			return steps, false
		}
		r := lwm2m.NewRequest(lwm2m.OpRead, p)
		r.Format = lwm2m.FormatText // the one format every client has for a single value
		r.Timeout = req.Timeout
		resp, err := snd.Send(ctx, d.Endpoint, r)
		rst := step{Op: r.Op.String(), Paths: []lwm2m.Path{p}}
		if err != nil {
			rst.Error = err.Error()
			steps = append(steps, rst)
			if i == 0 {
				// Not even a single resource: the device is away, not
				// picky; retry the whole read later as before.
				return steps, true
			}
			continue
		}
		rst.Code = resp.Code.String()
		steps = append(steps, rst)
		if resp.Code.IsSuccess() {
			recs = append(recs, responseRecords(p, resp)...)
		}
	}
	if len(recs) > 0 {
		s.storeRecords(ctx, d, recs)
	}
	return steps, false
}

// infoPaths lists the /3/0 resources DeviceInfo shows that the model
// defines and, when the device's registration links name resources of
// /3/0, that it announced.
func (s *Service) infoPaths(ctx context.Context, d models.Device) []lwm2m.Path {
	announced := map[uint16]bool{}
	if reg, ok := s.liveRegistration(ctx, d.Endpoint); ok {
		for _, p := range linkPaths(reg.Objects, reg.RootPath) {
			if p.Len() == 3 && p.Object() == 3 && p.Instance() == 0 {
				announced[p.Resource()] = true
			}
		}
	}
	var out []lwm2m.Path
	for _, r := range infoResources {
		p := lwm2m.ResourcePath(3, 0, r)
		if _, ok := lwm2m.ResourceModelAt(s.models, p); !ok && s.models != nil {
			continue
		}
		if len(announced) > 0 && !announced[r] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// linkPaths returns the LwM2M paths of the targets of a registration's
// link-format object list, relative to root; targets that are not paths
// are skipped.
func linkPaths(links, root string) []lwm2m.Path {
	root = strings.TrimSuffix(root, "/")
	var out []lwm2m.Path
	for rest := links; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, ",")
		_, target, ok := strings.Cut(entry, "<")
		if !ok {
			continue
		}
		target, _, ok = strings.Cut(target, ">")
		if !ok {
			continue
		}
		if root != "" {
			target = strings.TrimPrefix(target, root)
		}
		if p, err := lwm2m.ParsePath(target); err == nil {
			out = append(out, p)
		}
	}
	return out
}
