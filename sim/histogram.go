package sim

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Latencies are counted in log-linear buckets: 16 per power of two, so a
// reported percentile is within 1/16 (6.25 %) of the true value, from 1 ns
// to the largest duration, in fixed memory and without locks.
const (
	subBits    = 4
	subBuckets = 1 << subBits
	numBuckets = (64 - subBits + 1) * subBuckets
)

// Histogram records durations; it is safe for concurrent use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	sum    atomic.Uint64 // nanoseconds
	max    atomic.Uint64
}

func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	exp := bits.Len64(v) - 1 // >= subBits
	mant := (v >> (exp - subBits)) & (subBuckets - 1)
	return (exp-subBits+1)*subBuckets + int(mant)
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	exp := i/subBuckets + subBits - 1
	mant := uint64(i % subBuckets)
	shift := exp - subBits
	lo = (subBuckets + mant) << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one observation (negative durations count as zero).
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Snapshot copies the counts.
func (h *Histogram) Snapshot() HistSnapshot {
	var s HistSnapshot
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] = c
		s.total += c
	}
	s.sum = h.sum.Load()
	s.max = h.max.Load()
	return s
}

// HistSnapshot is a point-in-time copy of a Histogram; Sub gives the
// observations between two snapshots.
type HistSnapshot struct {
	counts [numBuckets]uint64
	total  uint64
	sum    uint64
	max    uint64
}

// Count returns the number of observations.
func (s *HistSnapshot) Count() uint64 { return s.total }

// Sub returns the observations s has that older lacks (max stays s's).
func (s *HistSnapshot) Sub(older *HistSnapshot) HistSnapshot {
	var d HistSnapshot
	for i := range s.counts {
		d.counts[i] = s.counts[i] - older.counts[i]
		d.total += d.counts[i]
	}
	d.sum = s.sum - older.sum
	d.max = s.max
	return d
}

// Quantile returns the q-quantile (0 < q <= 1), zero without observations:
// the middle of the bucket holding it, capped at the largest observation.
func (s *HistSnapshot) Quantile(q float64) time.Duration {
	if s.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.total)))
	rank = min(max(rank, 1), s.total)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			return time.Duration(min(lo+(hi-lo)/2, s.max))
		}
	}
	return time.Duration(s.max)
}

// Mean returns the average observation.
func (s *HistSnapshot) Mean() time.Duration {
	if s.total == 0 {
		return 0
	}
	return time.Duration(s.sum / s.total)
}

// Max returns the largest observation ever recorded.
func (s *HistSnapshot) Max() time.Duration { return time.Duration(s.max) }

// LatencySummary is a histogram in milliseconds, for JSON.
type LatencySummary struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Summary returns count, mean, p50, p90, p99 and max in milliseconds.
func (s *HistSnapshot) Summary() LatencySummary {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return LatencySummary{
		Count:  s.total,
		MeanMS: ms(s.Mean()),
		P50MS:  ms(s.Quantile(0.50)),
		P90MS:  ms(s.Quantile(0.90)),
		P99MS:  ms(s.Quantile(0.99)),
		MaxMS:  ms(s.Max()),
	}
}
