package server

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Held is a request waiting in Send for a sleeping queue-mode device. It
// lives only as long as its caller waits (it carries the caller's context
// and reply channel); durable command queuing is dm's business.
type Held struct {
	ctx  context.Context
	req  lwm2m.Request
	done chan heldResult
}

type heldResult struct {
	resp lwm2m.Response
	err  error
}

// Request returns the held request.
func (h *Held) Request() lwm2m.Request { return h.req }

// HoldQueue holds requests for sleeping devices, first in first out per
// endpoint. Implementations must be safe for concurrent use.
type HoldQueue interface {
	// Push appends h; an error wrapping ErrQueueFull refuses it.
	Push(endpoint string, h *Held) error
	// Pop removes and returns the oldest request, nil when there is none.
	Pop(endpoint string) *Held
	// Remove takes h out (its caller gave up); false when it was already
	// popped.
	Remove(endpoint string, h *Held) bool
	Len(endpoint string) int
}

// MemoryQueue is the default HoldQueue: a bounded slice per endpoint.
type MemoryQueue struct {
	max int
	mu  sync.Mutex
	m   map[string][]*Held
}

// NewMemoryQueue returns a queue holding at most max requests per device.
func NewMemoryQueue(max int) *MemoryQueue {
	return &MemoryQueue{max: max, m: map[string][]*Held{}}
}

// Push implements HoldQueue.
func (q *MemoryQueue) Push(endpoint string, h *Held) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.m[endpoint]) >= q.max {
		return fmt.Errorf("%w: %d requests already held for %s", ErrQueueFull, q.max, endpoint)
	}
	q.m[endpoint] = append(q.m[endpoint], h)
	return nil
}

// Pop implements HoldQueue.
func (q *MemoryQueue) Pop(endpoint string) *Held {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.m[endpoint]
	if len(l) == 0 {
		return nil
	}
	h := l[0]
	l[0] = nil
	if len(l) == 1 {
		delete(q.m, endpoint)
	} else {
		q.m[endpoint] = l[1:]
	}
	return h
}

// Remove implements HoldQueue.
func (q *MemoryQueue) Remove(endpoint string, h *Held) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.m[endpoint]
	i := slices.Index(l, h)
	if i < 0 {
		return false
	}
	l = slices.Delete(l, i, i+1)
	if len(l) == 0 {
		delete(q.m, endpoint)
	} else {
		q.m[endpoint] = l
	}
	return true
}

// Len implements HoldQueue.
func (q *MemoryQueue) Len(endpoint string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.m[endpoint])
}
