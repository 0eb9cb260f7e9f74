package models

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// AttributeValue is the latest value of one resource of a device. Key is the
// name the profile maps the path to ("" when unmapped).
type AttributeValue struct {
	DeviceID  int64       `json:"device_id"`
	Path      lwm2m.Path  `json:"path"`
	Key       string      `json:"key,omitempty"`
	Value     lwm2m.Value `json:"value"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// TelemetryPoint is one sample of a device's time series Key.
type TelemetryPoint struct {
	DeviceID int64       `json:"device_id"`
	Key      string      `json:"key"`
	Time     time.Time   `json:"time"`
	Value    lwm2m.Value `json:"value"`
}

// Aggregate is a downsampling function.
type Aggregate string

// Downsampling functions: the smallest, largest, mean, or latest value in
// each interval. min, max and avg consider numeric values only.
const (
	AggMin  Aggregate = "min"
	AggMax  Aggregate = "max"
	AggAvg  Aggregate = "avg"
	AggLast Aggregate = "last"
)

// TelemetryBucket is one interval of a downsampled series: Time is the
// interval's start, Count the number of samples aggregated.
type TelemetryBucket struct {
	Key   string      `json:"key"`
	Time  time.Time   `json:"time"`
	Value lwm2m.Value `json:"value"`
	Count int64       `json:"count"`
}
