package client

import (
	"math"
	"math/rand/v2"

	"github.com/shoal-iot/shoal/lwm2m"
)

// simState holds the simulated physical quantities of a device; each tick
// moves them a little: the battery drains, the temperature wanders (mean
// reverting), the position drifts and the signal strength jitters. An
// empty battery is replaced by a full one.
type simState struct {
	battery float64 // percent
	temp    float64 // °C
	base    float64 // the temperature it wanders around
	lat     float64
	lon     float64
	rssi    float64 // dBm
}

func newSimState(r *rand.Rand) simState {
	base := 18 + r.Float64()*6
	return simState{
		battery: 100,
		temp:    base,
		base:    base,
		lat:     48.80 + r.Float64()*0.1,
		lon:     2.30 + r.Float64()*0.1,
		rssi:    -85 - r.Float64()*10,
	}
}

// step advances the simulation by one tick.
func (s *simState) step(r *rand.Rand) {
	s.battery = math.Max(0, s.battery-0.05-r.Float64()*0.1)
	if s.battery == 0 {
		s.battery = 100 // someone changed the battery: long runs keep moving
	}
	s.temp += (s.base-s.temp)*0.1 + r.NormFloat64()*0.3
	s.temp = math.Round(s.temp*10) / 10
	s.lat += r.NormFloat64() * 0.0001
	s.lon += r.NormFloat64() * 0.0001
	s.rssi = math.Max(-120, math.Min(-50, s.rssi+r.NormFloat64()))
}

// simulate runs one tick and writes the new values into the tree, which
// notifies the observations of whatever changed.
func (c *Client) simulate() {
	c.sim.step(c.rng)
	now := c.clock.Now()
	t := c.tree
	set := func(p lwm2m.Path, v lwm2m.Value) { _ = t.Set(p, v) }
	level := int64(math.Ceil(c.sim.battery))
	set(lwm2m.ResourcePath(3, 0, 9), lwm2m.IntValue(level))
	status := int64(0) // normal
	if level < 15 {
		status = 4 // low battery
	}
	set(lwm2m.ResourcePath(3, 0, 20), lwm2m.IntValue(status))
	set(lwm2m.ResourceInstancePath(3, 0, 7, 0), lwm2m.IntValue(3300+level*5))
	set(lwm2m.ResourcePath(3, 0, 13), lwm2m.TimeValue(now.Add(c.timeOffset)))
	set(lwm2m.ResourcePath(4, 0, 2), lwm2m.IntValue(int64(math.Round(c.sim.rssi))))
	set(lwm2m.ResourcePath(6, 0, 0), lwm2m.FloatValue(c.sim.lat))
	set(lwm2m.ResourcePath(6, 0, 1), lwm2m.FloatValue(c.sim.lon))
	set(lwm2m.ResourcePath(6, 0, 5), lwm2m.TimeValue(now))
	if o, ok := t.Object(3303); ok {
		for _, in := range o.Instances {
			c.setTemperature(in.ID, c.sim.temp)
		}
	}
}

// setTemperature stores a reading in /3303/inst with its min/max.
func (c *Client) setTemperature(inst uint16, v float64) {
	t := c.tree
	p := lwm2m.InstancePath(3303, inst)
	_ = t.Set(p.Child(5700), lwm2m.FloatValue(v))
	if lo, ok := t.Value(p.Child(5601)); !ok || v < lo.Float() {
		_ = t.Set(p.Child(5601), lwm2m.FloatValue(v))
	}
	if hi, ok := t.Value(p.Child(5602)); !ok || v > hi.Float() {
		_ = t.Set(p.Child(5602), lwm2m.FloatValue(v))
	}
	_ = t.Set(p.Child(5518), lwm2m.TimeValue(c.clock.Now()))
}

// Tick runs one simulation step now (tests and the interactive simulator).
func (c *Client) Tick() {
	c.mu.Lock()
	c.simulate()
	c.mu.Unlock()
}
