package sim

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
)

// DemoProfileName is the profile the demo devices are given.
const DemoProfileName = "demo"

// DemoConfig is the fleet `shoal serve --demo n` runs in-process against
// serverURI (coap:// for NoSec, coaps:// with PSKKey set by the caller):
// devices demo-0 … demo-(n-1) carrying Device, Connectivity Monitoring,
// Firmware Update, Location and Temperature, started 100 per second, their
// battery, temperature, signal and position moving every 5 s so the demo
// profile's observations notify. Set Provision to create the devices
// (with DemoProfile) before they start, unless the server registers
// unknown NoSec devices.
func DemoConfig(n int, serverURI string) Config {
	return Config{
		ServerURI:   serverURI,
		Devices:     n,
		Prefix:      "demo-",
		Ramp:        100,
		StartJitter: 500 * time.Millisecond,
		Lifetime:    300 * time.Second,
		SimInterval: 5 * time.Second,
		StopRate:    1000,
		Models:      objects.New(),
		Codecs:      std.New(),
	}
}

// DemoProfile is the profile for demo devices: it observes battery (/3/0/9)
// and temperature (/3303/0/5700), each at least every minute, and maps
// them to the telemetry keys "battery" and "temperature".
func DemoProfile() models.Profile {
	battery, temperature := lwm2m.ResourcePath(3, 0, 9), lwm2m.ResourcePath(3303, 0, 5700)
	pmax := func() lwm2m.Attributes { v := uint32(60); return lwm2m.Attributes{Pmax: &v} }
	return models.Profile{
		Name:        DemoProfileName,
		Description: "simulated demo devices: battery and temperature telemetry",
		Spec: models.ProfileSpec{
			Observe: models.ObserveSpec{
				Strategy: models.ObserveSingle,
				Targets: []models.ObserveTarget{
					{Path: battery, Attributes: pmax()},
					{Path: temperature, Attributes: pmax()},
				},
			},
			Telemetry: []models.PathMapping{
				{Path: battery, Name: "battery"},
				{Path: temperature, Name: "temperature"},
			},
		},
	}
}
