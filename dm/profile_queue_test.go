package dm

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// takeAll drains the jobs due at now.
func takeAll(q *profileQueue, now time.Time) []string {
	var eps []string
	for {
		j, _ := q.next(now)
		if j == nil {
			return eps
		}
		eps = append(eps, j.dev.Endpoint)
	}
}

func TestProfileQueueRetriesInDueOrder(t *testing.T) {
	q := newProfileQueue()
	t0 := time.Unix(1_700_000_000, 0)
	for i, delay := range []time.Duration{3, 1, 2} {
		j := &profileJob{dev: models.Device{Endpoint: fmt.Sprintf("ep%d", i)}, regID: "r"}
		q.again(j, delay*time.Second, t0)
	}
	if j, until := q.next(t0); j != nil || !until.Equal(t0.Add(time.Second)) {
		t.Fatalf("nothing is due yet: got %v, wake at %v (want %v)", j, until, t0.Add(time.Second))
	}
	if got := takeAll(q, t0.Add(2*time.Second)); fmt.Sprint(got) != "[ep1 ep2]" {
		t.Fatalf("due after 2 s: %v, want [ep1 ep2]", got)
	}
	// A new registration of ep0 makes its job due at once (the waiting
	// retry's entry is stale) and it is handed out once only.
	q.add(models.Device{Endpoint: "ep0"}, "r2")
	j, _ := q.next(t0)
	if j == nil || j.regID != "r2" || j.attempt != 0 {
		t.Fatalf("re-registered ep0: %+v, want its fresh job", j)
	}
	if got := takeAll(q, t0.Add(time.Hour)); len(got) != 0 || q.pending() != 0 {
		t.Fatalf("after ep0 was taken: %v (pending %d), want nothing", got, q.pending())
	}
}

// A shutting-down server fails every request at once: a whole fleet's
// jobs are queued for retry and all come out, each once.
func TestProfileQueueManyRetries(t *testing.T) {
	q := newProfileQueue()
	t0 := time.Unix(1_700_000_000, 0)
	const n = 100_000
	for i := range n {
		q.add(models.Device{Endpoint: fmt.Sprintf("d%d", i)}, "r")
	}
	for i := range n {
		j, _ := q.next(t0)
		if j == nil {
			t.Fatalf("job %d of %d missing", i, n)
		}
		j.attempt++
		q.again(j, time.Duration(i%7+1)*time.Second, t0)
	}
	seen := make(map[string]bool, n)
	for _, ep := range takeAll(q, t0.Add(time.Minute)) {
		if seen[ep] {
			t.Fatalf("%s handed out twice", ep)
		}
		seen[ep] = true
	}
	if len(seen) != n || q.pending() != 0 {
		t.Fatalf("%d retries handed out, %d pending; want %d and 0", len(seen), q.pending(), n)
	}
}
