package dm

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shoal-iot/shoal/models"
)

// EventDropped is the Type of the marker a slow subscriber receives in
// place of the events it lost; its Data is {"dropped": n}.
const EventDropped = "dropped"

// hub fans stored events out to live subscribers. Publishing never
// blocks: a subscriber whose channel is full loses the event, and the
// next event it can take is preceded by a dropped marker.
type hub struct {
	size int
	mu   sync.RWMutex
	subs map[*sub]struct{}
	// lost counts events lost by all subscribers (for metrics).
	lost atomic.Uint64
}

type sub struct {
	f       EventFilter
	ch      chan models.Event
	mu      sync.Mutex
	owed    uint64 // events lost since the last marker went out
	dropped atomic.Uint64
	closed  bool
}

// Subscription is a live event feed; C is closed when the subscription is
// cancelled. A slow subscriber loses events rather than holding up
// ingestion: Dropped counts them, and an event of type EventDropped marks
// the gap in C.
type Subscription struct {
	C <-chan models.Event
	s *sub
}

// Dropped returns the number of events this subscriber lost.
func (s *Subscription) Dropped() uint64 { return s.s.dropped.Load() }

func newHub(size int) *hub { return &hub{size: size, subs: map[*sub]struct{}{}} }

// Subscribe returns a feed of the events matching f (its time range is
// ignored) and the function that cancels it. A customer's feed carries
// only its customer's events.
func (s *Service) Subscribe(who Principal, f EventFilter) (*Subscription, func(), error) {
	if err := who.scopeCustomer(&f.CustomerID); err != nil {
		return nil, nil, err
	}
	sub, cancel := s.subscribe(f)
	return sub, cancel, nil
}

func (s *Service) subscribe(f EventFilter) (*Subscription, func()) {
	h := s.rt.hub
	sb := &sub{f: f, ch: make(chan models.Event, h.size)}
	h.mu.Lock()
	h.subs[sb] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return &Subscription{C: sb.ch, s: sb}, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, sb)
			h.mu.Unlock()
			sb.mu.Lock()
			sb.closed = true
			close(sb.ch)
			sb.mu.Unlock()
		})
	}
}

// matches reports whether e passes f (ignoring the time range).
func matches(f *EventFilter, e *models.Event) bool {
	switch {
	case f.DeviceID != 0 && e.DeviceID != f.DeviceID,
		f.Endpoint != "" && e.Endpoint != f.Endpoint,
		f.CustomerID != 0 && e.CustomerID != f.CustomerID,
		len(f.Categories) > 0 && !slices.Contains(f.Categories, e.Category),
		len(f.Types) > 0 && !slices.Contains(f.Types, e.Type):
		return false
	}
	return true
}

// idle reports whether nobody is subscribed.
func (h *hub) idle() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs) == 0
}

func (h *hub) publish(e models.Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for sb := range h.subs {
		if !matches(&sb.f, &e) {
			continue
		}
		sb.mu.Lock()
		if !sb.closed {
			if sb.owed > 0 {
				data, _ := json.Marshal(map[string]uint64{"dropped": sb.owed})
				marker := models.Event{Time: e.Time, Type: EventDropped, Data: data}
				select {
				case sb.ch <- marker:
					sb.owed = 0
				default:
				}
			}
			sent := false
			if sb.owed == 0 {
				select {
				case sb.ch <- e:
					sent = true
				default:
				}
			}
			if !sent {
				sb.owed++
				sb.dropped.Add(1)
				h.lost.Add(1)
			}
		}
		sb.mu.Unlock()
	}
}

// record stores an event and publishes it. A store failure is logged and
// the event still goes to live subscribers.
func (s *Service) record(ctx context.Context, e models.Event) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if b := batchOf(ctx); b != nil {
		// In the ingest loop: stored with the batch, published after.
		ep := &e
		b.events = append(b.events, ep)
		b.after = append(b.after, func(ctx context.Context) { s.published(ctx, *ep) })
		return
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.st.Events.Append(ctx, &e); err != nil {
		s.log.Error().Err(err).Str("type", e.Type).Str("endpoint", e.Endpoint).Msg("dm: storing an event failed")
	}
	s.published(ctx, e)
}

// published hands a recorded event to live subscribers, webhooks and the
// alarm rules.
func (s *Service) published(ctx context.Context, e models.Event) {
	s.rt.hub.publish(e)
	s.rt.hooks.offer(e)
	s.rt.alarms.event(ctx, e)
}

// deviceEvent builds an event about d with data marshalled to JSON.
func deviceEvent(d models.Device, cat models.EventCategory, typ string, data any) models.Event {
	e := models.Event{DeviceID: d.ID, Endpoint: d.Endpoint, CustomerID: d.CustomerID, Category: cat, Type: typ}
	if data != nil {
		if b, err := json.Marshal(data); err == nil {
			e.Data = b
		}
	}
	return e
}

// Events lists stored events, newest first; a customer lists its own.
func (s *Service) Events(ctx context.Context, who Principal, f EventFilter, p PageRequest) (Page[models.Event], error) {
	if err := who.scopeCustomer(&f.CustomerID); err != nil {
		return Page[models.Event]{}, err
	}
	if f.Endpoint != "" && f.DeviceID == 0 {
		if d, err := s.device(ctx, f.Endpoint); err == nil {
			f.DeviceID = d.ID
			f.Endpoint = ""
		}
	}
	return s.st.Events.List(ctx, f, p)
}
