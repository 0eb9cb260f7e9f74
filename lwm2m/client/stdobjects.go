package client

import (
	"fmt"
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Security modes (/0/x/2).
const (
	secPSK         = 0
	secCertificate = 2
	secNoSec       = 3
)

func (c *Client) model(id uint16) (*lwm2m.ObjectModel, error) {
	m, ok := c.models.Object(id, "")
	if !ok {
		return nil, fmt.Errorf("%w: no model for object %d", ErrConfig, id)
	}
	return m, nil
}

// res builds a single resource; ris a multiple one.
func res(id uint16, v lwm2m.Value) Resource { return Resource{ID: id, Value: v} }

func ris(id uint16, vs ...lwm2m.Value) Resource {
	r := Resource{ID: id, Multiple: true}
	for i, v := range vs {
		r.Instances = append(r.Instances, ResourceInstance{ID: uint16(i), Value: v})
	}
	return r
}

// newInstance builds an instance from rs, leaving room for the few
// executable resources AddObject adds.
func newInstance(id uint16, rs ...Resource) *Instance {
	in := &Instance{ID: id, Resources: make([]Resource, 0, len(rs)+4)}
	in.Resources = append(in.Resources, rs...)
	slices.SortFunc(in.Resources, func(a, b Resource) int { return int(a.ID) - int(b.ID) })
	return in
}

func (c *Client) binding() string {
	if c.cfg.QueueMode && c.cfg.Version == "1.0" {
		return "UQ"
	}
	return "U"
}

// securityInstance describes one server account in /0.
func (c *Client) securityInstance(id uint16, uri string, bootstrap bool) *Instance {
	mode := int64(secNoSec)
	var ident, secret, serverKey []byte
	switch {
	case c.cfg.PSKIdentity != "":
		mode, ident, secret = secPSK, []byte(c.cfg.PSKIdentity), c.cfg.PSKKey
	case len(c.cfg.CertDER) > 0:
		mode, ident, secret, serverKey = secCertificate, c.cfg.CertDER, c.cfg.KeyDER, c.cfg.ServerCADER
	}
	in := newInstance(id,
		res(0, lwm2m.StringValue(uri)),
		res(1, lwm2m.BoolValue(bootstrap)),
		res(2, lwm2m.IntValue(mode)),
		res(3, lwm2m.OpaqueValue(ident)),
		res(4, lwm2m.OpaqueValue(serverKey)),
		res(5, lwm2m.OpaqueValue(secret)),
	)
	if !bootstrap {
		in.set(res(10, lwm2m.IntValue(int64(c.cfg.ShortServerID))))
	}
	return in
}

func (c *Client) serverInstance(id uint16) *Instance {
	return newInstance(id,
		res(0, lwm2m.IntValue(int64(c.cfg.ShortServerID))),
		res(1, lwm2m.IntValue(int64(c.cfg.Lifetime.Seconds()))),
		res(6, lwm2m.BoolValue(true)),
		res(7, lwm2m.StringValue(c.binding())),
	)
}

func (c *Client) installStandardObjects() error {
	add := func(id uint16, hooks Hooks, ins ...*Instance) error {
		m, err := c.model(id)
		if err != nil {
			return err
		}
		return c.tree.AddObject(&Object{Model: m, Instances: ins, Hooks: hooks})
	}
	now := c.clock.Now()
	var sec, srv []*Instance
	if c.cfg.BootstrapURI != "" {
		sec = append(sec, c.securityInstance(0, c.cfg.BootstrapURI, true))
	} else {
		sec = append(sec, c.securityInstance(0, c.cfg.ServerURI, false))
		srv = append(srv, c.serverInstance(0))
	}
	if err := add(0, Hooks{}, sec...); err != nil {
		return err
	}
	if err := add(1, c.serverHooks(), srv...); err != nil {
		return err
	}
	c.sim = newSimState(c.rng)
	device := newInstance(0,
		res(0, lwm2m.StringValue(c.cfg.Manufacturer)),
		res(1, lwm2m.StringValue(c.cfg.ModelNumber)),
		res(2, lwm2m.StringValue(c.cfg.SerialNumber)),
		res(3, lwm2m.StringValue(c.cfg.FirmwareVersion)),
		ris(6, lwm2m.IntValue(1), lwm2m.IntValue(5)), // internal battery, USB
		ris(7, lwm2m.IntValue(3800), lwm2m.IntValue(5000)),
		ris(8, lwm2m.IntValue(125), lwm2m.IntValue(900)),
		res(9, lwm2m.IntValue(int64(c.sim.battery))),
		res(10, lwm2m.IntValue(15000)),
		ris(11, lwm2m.IntValue(0)),
		res(13, lwm2m.TimeValue(now)),
		res(14, lwm2m.StringValue("+00:00")),
		res(15, lwm2m.StringValue("Etc/UTC")),
		res(16, lwm2m.StringValue(c.binding())),
		res(17, lwm2m.StringValue("sensor")),
		res(18, lwm2m.StringValue("1.0")),
		res(19, lwm2m.StringValue("1.0")),
		res(20, lwm2m.IntValue(0)),
		res(21, lwm2m.IntValue(32000)),
	)
	if err := add(3, c.deviceHooks(), device); err != nil {
		return err
	}
	conn := newInstance(0,
		res(0, lwm2m.IntValue(7)), // NB-IoT
		ris(1, lwm2m.IntValue(7), lwm2m.IntValue(6)),
		res(2, lwm2m.IntValue(int64(c.sim.rssi))),
		res(3, lwm2m.IntValue(20)),
		ris(4, lwm2m.StringValue(c.ipAddress())),
		res(8, lwm2m.IntValue(int64(10000+c.rng.IntN(50000)))),
		res(9, lwm2m.IntValue(1)),
		res(10, lwm2m.IntValue(262)),
	)
	if err := add(4, Hooks{}, conn); err != nil {
		return err
	}
	fw := newInstance(0,
		res(fwPackage, lwm2m.OpaqueValue(nil)),
		res(fwURI, lwm2m.StringValue("")),
		res(fwState, lwm2m.IntValue(FWIdle)),
		res(fwResult, lwm2m.IntValue(FWResultInitial)),
		res(fwPkgName, lwm2m.StringValue("")),
		res(fwPkgVersion, lwm2m.StringValue("")),
		ris(fwProtocols, lwm2m.IntValue(0), lwm2m.IntValue(1), lwm2m.IntValue(2), lwm2m.IntValue(3)),
		res(fwDelivery, lwm2m.IntValue(2)),
		res(fwLastChange, lwm2m.TimeValue(now)),
	)
	c.fw = &firmware{
		opts:    c.cfg.Firmware,
		tree:    c.tree,
		now:     func() lwm2m.Value { return lwm2m.TimeValue(c.clock.Now()) },
		start:   c.startDownload,
		install: c.scheduleReboot,
	}
	if err := add(5, c.firmwareHooks(), fw); err != nil {
		return err
	}
	loc := newInstance(0,
		res(0, lwm2m.FloatValue(c.sim.lat)),
		res(1, lwm2m.FloatValue(c.sim.lon)),
		res(2, lwm2m.FloatValue(35)),
		res(3, lwm2m.FloatValue(10)),
		res(5, lwm2m.TimeValue(now)),
		res(6, lwm2m.FloatValue(0)),
	)
	if err := add(6, Hooks{}, loc); err != nil {
		return err
	}
	temp := newInstance(0,
		res(5700, lwm2m.FloatValue(c.sim.temp)),
		res(5601, lwm2m.FloatValue(c.sim.temp)),
		res(5602, lwm2m.FloatValue(c.sim.temp)),
		res(5603, lwm2m.FloatValue(-40)),
		res(5604, lwm2m.FloatValue(85)),
		res(5701, lwm2m.StringValue("Cel")),
		res(5518, lwm2m.TimeValue(now)),
	)
	return add(3303, c.temperatureHooks(), temp)
}

func (c *Client) ipAddress() string {
	if c.local != "" {
		return c.local
	}
	return "127.0.0.1"
}

func (c *Client) serverHooks() Hooks {
	return Hooks{
		Execute: func(inst, r uint16, _ string) error {
			switch r {
			case 8: // Registration Update Trigger
				c.wantUpdate = true
				c.kick()
				return nil
			case 9: // Bootstrap-Request Trigger
				if !c.hasBootstrapAccount() {
					return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/1/%d/9: no bootstrap server account", inst)
				}
				c.bootstrap = true
				c.kick()
				return nil
			case 4: // Disable: de-register, register again after /1/x/5
				timeout := 86400 * time.Second
				if in, ok := c.tree.objects[c.objIndex(1)].Instance(inst); ok {
					if r, ok := in.Resource(5); ok && r.Value.Int() > 0 {
						timeout = time.Duration(r.Value.Int()) * time.Second
					}
				}
				c.scheduleReboot()
				c.disableFor = timeout
				return nil
			}
			return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/1/%d/%d has no behaviour on this device", inst, r)
		},
		Written: func(inst uint16, ids []uint16) {
			for _, id := range ids {
				if id == 1 || id == 7 {
					c.wantUpdate = true
					c.kick()
				}
			}
		},
		Defaults: func(id uint16) Instance {
			return Instance{ID: id, Resources: []Resource{res(6, lwm2m.BoolValue(true)), res(7, lwm2m.StringValue("U"))}}
		},
	}
}

func (c *Client) deviceHooks() Hooks {
	return Hooks{
		Execute: func(_, r uint16, _ string) error {
			switch r {
			case 4, 5: // Reboot, Factory Reset
				c.scheduleReboot()
				return nil
			case 12: // Reset Error Code
				in, _ := c.tree.objects[c.objIndex(3)].Instance(0)
				in.set(ris(11, lwm2m.IntValue(0)))
				c.tree.notify(lwm2m.ResourcePath(3, 0, 11))
				return nil
			}
			return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/3/0/%d has no behaviour on this device", r)
		},
		Written: func(_ uint16, ids []uint16) {
			for _, id := range ids {
				if id == 13 {
					v, _ := c.tree.Value(lwm2m.ResourcePath(3, 0, 13))
					c.timeOffset = v.Time().Sub(c.clock.Now())
				}
			}
		},
	}
}

func (c *Client) objIndex(id uint16) int {
	for i, o := range c.tree.objects {
		if o.Model.ID == id {
			return i
		}
	}
	return -1
}

func (c *Client) firmwareHooks() Hooks {
	return Hooks{
		Execute:    func(_, r uint16, _ string) error { return c.fw.execute(r) },
		CheckWrite: func(_, r uint16, v lwm2m.Value) error { return c.fw.checkWrite(r, v) },
		Written:    func(_ uint16, ids []uint16) { c.fw.written(ids) },
	}
}

func (c *Client) temperatureHooks() Hooks {
	return Hooks{
		Execute: func(inst, r uint16, _ string) error {
			if r != 5605 {
				return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/3303/%d/%d has no behaviour on this device", inst, r)
			}
			v, _ := c.tree.Value(lwm2m.ResourcePath(3303, inst, 5700))
			_ = c.tree.Set(lwm2m.ResourcePath(3303, inst, 5601), v)
			_ = c.tree.Set(lwm2m.ResourcePath(3303, inst, 5602), v)
			return nil
		},
		Defaults: func(id uint16) Instance {
			return Instance{ID: id, Resources: []Resource{res(5700, lwm2m.FloatValue(20)), res(5701, lwm2m.StringValue("Cel"))}}
		},
	}
}

func (c *Client) hasBootstrapAccount() bool {
	sec, ok := c.tree.Object(0)
	if !ok {
		return false
	}
	for _, in := range sec.Instances {
		if isBootstrapAccount(in) {
			return true
		}
	}
	return false
}
