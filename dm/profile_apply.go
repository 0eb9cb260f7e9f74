package dm

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// profileJob is the profile application owed to one registration.
type profileJob struct {
	dev   models.Device
	regID string
	// attempt counts applications so far; retry holds the requests of the
	// last one that did not reach the device (nil: the whole profile).
	attempt int
	retry   []lwm2m.Request
	due     time.Time
}

// profileQueue holds the profile applications not done yet, at most one
// per endpoint (a new registration replaces the older one's), and hands
// them to a fixed number of workers: fresh ones in arrival order, retries
// once their back-off has passed. Nothing is dropped: a burst of
// registrations waits its turn instead of piling up goroutines, and a
// device that timed out is come back to.
type profileQueue struct {
	mu    sync.Mutex
	jobs  map[string]*profileJob
	ready []string  // endpoints whose job is due, in order
	later retryHeap // jobs waiting for their back-off, soonest first
	wake  chan struct{}
}

// retryEntry is a job waiting for its back-off; it is stale once the
// endpoint's job is another (or none), or was made due at once.
type retryEntry struct {
	ep  string
	job *profileJob
	due time.Time
}

// retryHeap orders waiting retries by due time, so taking the due ones
// costs O(log n) each instead of a scan of every waiting job (which made
// thousands of devices failing at once — a server shutting down —
// quadratic).
type retryHeap []retryEntry

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h retryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)        { *h = append(*h, x.(retryEntry)) }
func (h *retryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = retryEntry{}
	*h = old[:len(old)-1]
	return e
}

func newProfileQueue() *profileQueue {
	return &profileQueue{jobs: map[string]*profileJob{}, wake: make(chan struct{}, 1)}
}

// add queues the application for a new registration; a job still waiting
// for the endpoint is replaced (its registration is gone).
func (q *profileQueue) add(d models.Device, regID string) {
	q.mu.Lock()
	if j := q.jobs[d.Endpoint]; j != nil {
		waiting := !j.due.IsZero()
		*j = profileJob{dev: d, regID: regID} // due at once, wherever it is queued
		if waiting {                          // its back-off entry is stale now
			q.ready = append(q.ready, d.Endpoint)
		}
	} else {
		q.jobs[d.Endpoint] = &profileJob{dev: d, regID: regID}
		q.ready = append(q.ready, d.Endpoint)
	}
	q.mu.Unlock()
	q.signal()
}

// again queues j's retry after delay, unless a newer registration queued
// its own job meanwhile.
func (q *profileQueue) again(j *profileJob, delay time.Duration, now time.Time) {
	j.due = now.Add(delay)
	q.mu.Lock()
	if _, newer := q.jobs[j.dev.Endpoint]; !newer {
		q.jobs[j.dev.Endpoint] = j
		heap.Push(&q.later, retryEntry{ep: j.dev.Endpoint, job: j, due: j.due})
	}
	q.mu.Unlock()
	q.signal()
}

func (q *profileQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next takes a due job; otherwise it returns when the earliest retry is
// due (zero when none waits).
func (q *profileQueue) next(now time.Time) (*profileJob, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.later) > 0 && !q.later[0].due.After(now) {
		e := heap.Pop(&q.later).(retryEntry)
		if j := q.jobs[e.ep]; j == e.job && j.due.Equal(e.due) {
			q.ready = append(q.ready, e.ep)
		}
	}
	var soonest time.Time
	if len(q.later) > 0 {
		soonest = q.later[0].due // perhaps stale: an early wake-up at worst
	}
	for len(q.ready) > 0 {
		ep := q.ready[0]
		q.ready[0] = ""
		q.ready = q.ready[1:]
		if j := q.jobs[ep]; j != nil && !j.due.After(now) {
			delete(q.jobs, ep)
			if len(q.ready) > 0 {
				q.signal() // more for the other workers
			}
			return j, time.Time{}
		}
	}
	return nil, soonest
}

// pending returns how many applications wait.
func (q *profileQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

// runProfiles applies queued profiles on ProfileWorkers workers until ctx
// ends.
func (s *Service) runProfiles(ctx context.Context) {
	var wg sync.WaitGroup
	for range s.cfg.ProfileWorkers {
		wg.Go(func() { s.profileWorker(ctx) })
	}
	wg.Wait()
}

func (s *Service) profileWorker(ctx context.Context) {
	q := s.rt.profiles
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		j, until := q.next(s.now())
		if j != nil {
			s.applyJob(ctx, j)
			continue
		}
		wait := time.Hour
		if !until.IsZero() {
			wait = max(until.Sub(s.now()), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// applyJob runs one application if its registration is still the
// endpoint's; requests that did not reach the device are retried with a
// doubling back-off, up to ProfileAttempts applications.
func (s *Service) applyJob(ctx context.Context, j *profileJob) {
	if !s.stillRegistered(j.dev.Endpoint, j.regID) {
		return
	}
	j.attempt++
	retry := s.applyProfile(ctx, j)
	if len(retry) == 0 || ctx.Err() != nil {
		return
	}
	if j.attempt >= s.cfg.ProfileAttempts {
		s.log.Warn().Str("endpoint", j.dev.Endpoint).Int("attempts", j.attempt).Int("requests", len(retry)).
			Msg("dm: profile application gave up on requests the device never answered")
		return
	}
	j.retry = retry
	s.rt.profiles.again(j, s.cfg.ProfileRetryDelay<<(j.attempt-1), s.now())
}

// stillRegistered reports whether regID is ep's current registration (as
// far as the Sender tells; without it, whether ep is registered).
func (s *Service) stillRegistered(ep, regID string) bool {
	if s.rt.presence.over(ep) {
		return false
	}
	if snd, err := s.rt.sender(); err == nil {
		if rs, ok := snd.(RegistrationSource); ok {
			r, ok := rs.Registration(ep)
			return ok && r.ID == regID
		}
	}
	return true
}
