package sim

import (
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestBucketsCoverEveryValueInOrder(t *testing.T) {
	prevHi := uint64(0)
	for i := range numBuckets {
		lo, hi := bucketRange(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d,%d] maps back to %d/%d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		prevHi = hi
	}
	if prevHi != ^uint64(0) {
		t.Fatalf("last bucket ends at %d, not the largest uint64", prevHi)
	}
}

// TestQuantilesWithinBucketError compares against exact percentiles of a
// skewed sample: every answer is within the 1/16 relative bucket width.
func TestQuantilesWithinBucketError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var xs []time.Duration
	for range 20000 {
		d := time.Duration(r.ExpFloat64() * float64(3*time.Millisecond))
		xs = append(xs, d)
		h.Record(d)
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	s := h.Snapshot()
	if s.Count() != 20000 {
		t.Fatalf("count %d", s.Count())
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		exact := xs[int(q*float64(len(xs))+0.999)-1]
		got := s.Quantile(q)
		if diff := float64(got-exact) / float64(exact); diff > 1.0/16 || diff < -1.0/16 {
			t.Errorf("q%.2f = %v, exact %v (off by %.1f%%)", q, got, exact, diff*100)
		}
	}
	if s.Max() != xs[len(xs)-1] {
		t.Errorf("max %v, want %v", s.Max(), xs[len(xs)-1])
	}
}

func TestSnapshotSubIsTheWindow(t *testing.T) {
	var h Histogram
	for range 100 {
		h.Record(time.Millisecond)
	}
	old := h.Snapshot()
	for range 10 {
		h.Record(time.Second)
	}
	now := h.Snapshot()
	w := now.Sub(&old)
	if w.Count() != 10 {
		t.Fatalf("window count %d, want 10", w.Count())
	}
	if p := w.Quantile(0.5); p < 940*time.Millisecond || p > time.Second {
		t.Fatalf("window p50 %v, want about 1s", p)
	}
	if p := now.Quantile(0.5); p > 1100*time.Microsecond {
		t.Fatalf("overall p50 %v, want about 1ms", p)
	}
	var empty HistSnapshot
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Fatal("empty snapshot reports non-zero")
	}
	sum := now.Summary()
	if sum.Count != 110 || sum.MaxMS != 1000 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestHistogramConcurrentRecord(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	s := h.Snapshot()
	if s.Count() != 8000 || s.Max() != 7999*time.Microsecond {
		t.Fatalf("count %d max %v", s.Count(), s.Max())
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(1)
		for pb.Next() {
			h.Record(d)
			d = d*3 + 7
		}
	})
}
