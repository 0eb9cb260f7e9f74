package dm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// WebhookTransport POSTs a webhook request and returns the HTTP status
// the receiver answered (package webhook implements it over net/http;
// dm never imports net/http).
type WebhookTransport interface {
	Post(ctx context.Context, url string, body []byte, header map[string]string) (status int, err error)
}

// WebhookConfig tunes webhook delivery. Zero fields take the defaults
// Validate documents.
type WebhookConfig struct {
	// Queue bounds the first attempts waiting for a worker (default
	// 10000); when it is full an event's delivery is dropped, counted
	// and logged — never waited for.
	Queue int
	// Workers send that many requests at once (default 4).
	Workers int
	// Attempts is how often a delivery is tried before it is failed
	// (default 8).
	Attempts int
	// Backoff is the wait after the first failed attempt, doubling per
	// attempt up to MaxBackoff (defaults 5 s and 1 h).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// Sweep is how often retries that came due are looked up (default
	// 1 s).
	Sweep time.Duration
}

func (c *WebhookConfig) validate() error {
	defI := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	defI(&c.Queue, 10000)
	defI(&c.Workers, 4)
	defI(&c.Attempts, 8)
	defD(&c.Backoff, 5*time.Second)
	defD(&c.MaxBackoff, time.Hour)
	defD(&c.Timeout, 10*time.Second)
	defD(&c.Sweep, time.Second)
	switch {
	case c.Queue < 1 || c.Workers < 1 || c.Attempts < 1:
		return fmt.Errorf("Webhooks: Queue, Workers and Attempts must be positive")
	case c.Backoff < 0 || c.MaxBackoff < c.Backoff || c.Timeout < 0 || c.Sweep < 0:
		return fmt.Errorf("Webhooks: durations must be positive and MaxBackoff at least Backoff")
	}
	return nil
}

// SetWebhookTransport sets how webhooks are sent; without one no webhook
// is delivered.
func (s *Service) SetWebhookTransport(t WebhookTransport) {
	if t != nil {
		s.rt.hooks.transport.Store(&t)
	}
}

// hookJob is a first delivery attempt: an event for a channel.
type hookJob struct {
	ch models.WebhookChannel
	ev models.Event
}

// hookDispatcher delivers events to webhook channels. Recording an event
// only looks at an in-memory copy of the channels and hands matching
// deliveries to a bounded queue without waiting; workers store each
// delivery in the channel's log and send it; failed attempts are retried
// from the log (so retries survive a restart) with exponential backoff.
type hookDispatcher struct {
	s         *Service
	cfg       WebhookConfig
	transport atomic.Pointer[WebhookTransport]
	channels  atomic.Pointer[[]models.WebhookChannel]
	loadMu    sync.Mutex
	queue     chan hookJob
	retries   chan models.WebhookDelivery
	dropped   atomic.Uint64
	lastWarn  atomic.Int64
}

func newHookDispatcher(s *Service) *hookDispatcher {
	cfg := s.cfg.Webhooks
	return &hookDispatcher{s: s, cfg: cfg, queue: make(chan hookJob, cfg.Queue), retries: make(chan models.WebhookDelivery, cfg.Workers)}
}

// reload reads the channels from the store.
func (h *hookDispatcher) reload(ctx context.Context) {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	var all []models.WebhookChannel
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := h.s.st.Webhooks.List(ctx, 0, p)
		if err != nil {
			if ctx.Err() == nil {
				h.s.log.Error().Err(err).Msg("dm: loading webhook channels")
			}
			return
		}
		for _, c := range pg.Items {
			if !c.Disabled {
				all = append(all, c)
			}
		}
		if pg.Next == "" {
			break
		}
		p.Cursor = pg.Next
	}
	h.channels.Store(&all)
}

// wants reports whether channel c takes event e.
func wants(c *models.WebhookChannel, e *models.Event) bool {
	if c.CustomerID != 0 && e.CustomerID != c.CustomerID {
		return false
	}
	if !slices.Contains(c.EventTypes, "*") && !slices.Contains(c.EventTypes, e.Type) {
		return false
	}
	if e.Category == models.CategoryAlarm && len(c.AlarmTypes) > 0 && !slices.Contains(c.AlarmTypes, "*") {
		var a struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(e.Data, &a) != nil || !slices.Contains(c.AlarmTypes, a.Type) {
			return false
		}
	}
	return true
}

// offer queues e for every channel that wants it; it never blocks.
func (h *hookDispatcher) offer(e models.Event) {
	if h.transport.Load() == nil || e.Category == CategoryTelemetry {
		return
	}
	chs := h.channels.Load()
	if chs == nil {
		return
	}
	for i := range *chs {
		c := &(*chs)[i]
		if !wants(c, &e) {
			continue
		}
		select {
		case h.queue <- hookJob{ch: *c, ev: e}:
		default:
			h.drop(c.ID, e, "the delivery queue is full")
		}
	}
}

// drop counts a lost delivery and logs it, at most once a second with the
// running total.
func (h *hookDispatcher) drop(channel int64, e models.Event, why string) {
	n := h.dropped.Add(1)
	h.s.rt.notify.dropped.Inc()
	now := time.Now().UnixNano()
	if last := h.lastWarn.Load(); now-last >= int64(time.Second) && h.lastWarn.CompareAndSwap(last, now) {
		h.s.log.Warn().Int64("webhook", channel).Int64("event", e.ID).Str("type", e.Type).Uint64("dropped_total", n).
			Msgf("dm: webhook delivery dropped: %s", why)
	}
}

// lease is how long a delivery being attempted stays out of the due
// list.
func (h *hookDispatcher) lease() time.Duration { return 2*h.cfg.Timeout + time.Second }

// run runs the workers and the retry sweep until ctx ends; deliveries
// still queued then are dropped (and counted), retries stay in the log.
func (h *hookDispatcher) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range h.cfg.Workers {
		wg.Go(func() { h.work(ctx) })
	}
	sweep := time.NewTicker(h.cfg.Sweep)
	defer sweep.Stop()
	refresh := time.NewTicker(h.s.cfg.CacheTTL)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			for {
				select {
				case j := <-h.queue:
					h.drop(j.ch.ID, j.ev, "shutting down")
				default:
					return
				}
			}
		case <-sweep.C:
			h.due(ctx)
		case <-refresh.C:
			h.reload(ctx)
		}
	}
}

// due hands the retries that came due to the workers.
func (h *hookDispatcher) due(ctx context.Context) {
	if h.transport.Load() == nil {
		return
	}
	now := h.s.now()
	ds, err := h.s.st.Deliveries.Due(ctx, now, cap(h.retries))
	if err != nil {
		if ctx.Err() == nil {
			h.s.log.Error().Err(err).Msg("dm: looking up due webhook deliveries")
		}
		return
	}
	for _, d := range ds {
		until := now.Add(h.lease())
		ok, err := h.s.st.Deliveries.Claim(ctx, d, until)
		if err != nil || !ok {
			continue
		}
		d.NextAttemptAt = until
		select {
		case h.retries <- d:
		default: // the workers are busy; the lease runs out and it comes due again
		}
	}
}

func (h *hookDispatcher) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-h.queue:
			h.first(ctx, j)
		case d := <-h.retries:
			h.retry(ctx, d)
		}
	}
}

// first stores a delivery in the channel's log and makes its first
// attempt.
func (h *hookDispatcher) first(ctx context.Context, j hookJob) {
	body, err := WebhookBody(j.ev)
	if err != nil {
		h.s.log.Error().Err(err).Int64("event", j.ev.ID).Msg("dm: encoding a webhook body")
		return
	}
	d := models.WebhookDelivery{ChannelID: j.ch.ID, EventID: j.ev.ID, EventType: j.ev.Type, State: models.DeliveryPending,
		MaxAttempts: h.cfg.Attempts, Payload: body, NextAttemptAt: h.s.now().Add(h.lease())}
	sctx, cancel := detached(ctx)
	err = h.s.st.Deliveries.Create(sctx, &d)
	cancel()
	if err != nil {
		h.s.log.Error().Err(err).Int64("webhook", j.ch.ID).Int64("event", j.ev.ID).Msg("dm: storing a webhook delivery")
		return
	}
	h.attempt(ctx, j.ch, d)
}

// retry makes another attempt of a stored delivery.
func (h *hookDispatcher) retry(ctx context.Context, d models.WebhookDelivery) {
	c, err := h.s.st.Webhooks.Get(ctx, d.ChannelID)
	if err != nil {
		return // deleted with its log, or the store is away: it comes due again
	}
	if c.Disabled {
		d.State, d.Error, d.NextAttemptAt = models.DeliveryFailed, "the channel is disabled", time.Time{}
		h.store(ctx, &d)
		return
	}
	h.attempt(ctx, c, d)
}

// attempt sends a delivery once and records the outcome.
func (h *hookDispatcher) attempt(ctx context.Context, c models.WebhookChannel, d models.WebhookDelivery) {
	tp := h.transport.Load()
	if tp == nil {
		return
	}
	now := h.s.now()
	d.Attempts++
	hdr := map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    "Shoal-Webhook/1",
		HeaderEventType: d.EventType,
		HeaderEventID:   strconv.FormatInt(d.EventID, 10),
		HeaderDelivery:  strconv.FormatInt(d.ID, 10),
		HeaderTimestamp: strconv.FormatInt(now.Unix(), 10),
		HeaderSignature: SignWebhook(c.Secret, d.Payload),
	}
	actx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	status, err := (*tp).Post(actx, c.URL, d.Payload, hdr)
	cancel()
	d.StatusCode = status
	switch {
	case err == nil && status >= 200 && status < 300:
		d.State, d.Error, d.NextAttemptAt = models.DeliverySucceeded, "", time.Time{}
		h.s.rt.notify.deliveries.WithLabelValues("delivered").Inc()
	default:
		d.Error = fmt.Sprintf("the receiver answered HTTP %d", status)
		if err != nil {
			d.Error = err.Error()
		}
		if d.Attempts >= d.MaxAttempts {
			d.State, d.NextAttemptAt = models.DeliveryFailed, time.Time{}
			h.s.rt.notify.deliveries.WithLabelValues("failed").Inc()
			h.s.log.Warn().Int64("webhook", c.ID).Int64("delivery", d.ID).Str("error", d.Error).Int("attempts", d.Attempts).
				Msg("dm: webhook delivery failed for good")
		} else {
			pol := models.RetryPolicy{Backoff: models.Duration(h.cfg.Backoff), Multiplier: 2, MaxBackoff: models.Duration(h.cfg.MaxBackoff)}
			d.State, d.NextAttemptAt = models.DeliveryPending, h.s.now().Add(backoff(pol, d.Attempts))
			h.s.rt.notify.deliveries.WithLabelValues("retry").Inc()
		}
	}
	h.store(ctx, &d)
}

func (h *hookDispatcher) store(ctx context.Context, d *models.WebhookDelivery) {
	sctx, cancel := detached(ctx)
	defer cancel()
	if err := h.s.st.Deliveries.Update(sctx, d); err != nil {
		h.s.log.Error().Err(err).Int64("delivery", d.ID).Msg("dm: recording a webhook attempt")
	}
}
