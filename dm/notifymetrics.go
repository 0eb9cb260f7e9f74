package dm

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// notifyMetrics count alarms and webhook deliveries.
type notifyMetrics struct {
	alarms     prometheus.Counter
	deliveries *prometheus.CounterVec
	dropped    prometheus.Counter
}

func newNotifyMetrics() *notifyMetrics {
	return &notifyMetrics{
		alarms: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_alarms_raised_total",
			Help: "Alarms raised (repeats of an open alarm not counted)."}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shoal_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome (delivered, retry, failed)."}, []string{"outcome"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_webhook_dropped_total",
			Help: "Webhook deliveries dropped because the delivery queue was full."}),
	}
}

func (m *notifyMetrics) register(reg prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.alarms, m.deliveries, m.dropped} {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}
