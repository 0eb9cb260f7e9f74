package dm

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// metrics are dm's Prometheus collectors. They exist (and count) whether
// or not a Registerer was configured.
type metrics struct {
	registered prometheus.GaugeFunc
	online     prometheus.GaugeFunc
	operations *prometheus.CounterVec
	commands   *prometheus.CounterVec
	queueDepth prometheus.Gauge
	telemetry  prometheus.Counter
	dropped    prometheus.CounterFunc
	ingestLen  prometheus.GaugeFunc
}

func newMetrics(r *runtime) *metrics {
	return &metrics{
		registered: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "shoal_devices_registered",
			Help: "Devices with a current registration."}, func() float64 { n, _ := r.presence.counts(); return float64(n) }),
		online: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "shoal_devices_online",
			Help: "Registered devices that are awake (not sleeping in queue mode)."}, func() float64 { _, n := r.presence.counts(); return float64(n) }),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shoal_operations_total",
			Help: "Downlink operations by type and outcome (success, device_error, timeout, unreachable, error)."}, []string{"op", "outcome"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shoal_commands_finished_total",
			Help: "Queued commands that reached a final state, by state."}, []string{"state"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shoal_command_queue_depth",
			Help: "Commands pending or in flight across all devices."}),
		telemetry: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_telemetry_points_total",
			Help: "Telemetry points ingested (rate() gives the ingest rate)."}),
		dropped: prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "shoal_live_events_dropped_total",
			Help: "Live events slow subscribers lost."}, func() float64 { return float64(r.hub.lost.Load()) }),
		ingestLen: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "shoal_ingest_queue_length",
			Help: "Server events waiting for dm's ingest loop."}, func() float64 { return float64(len(r.ingest)) }),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.registered, m.online, m.operations, m.commands, m.queueDepth, m.telemetry, m.dropped, m.ingestLen} {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}

// operation counts one downlink operation's outcome.
func (m *metrics) operation(op lwm2m.Operation, code lwm2m.Code, err error) {
	outcome := "success"
	switch {
	case errors.Is(err, server.ErrTimeout):
		outcome = "timeout"
	case unreachable(err):
		outcome = "unreachable"
	case err != nil:
		outcome = "error"
	case !code.IsSuccess():
		outcome = "device_error"
	}
	m.operations.WithLabelValues(op.String(), outcome).Inc()
}
