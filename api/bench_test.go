package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
)

// benchEnv is an env with one awake device, meter-b, registered over
// DTLS-PSK, and an HTTP client that keeps connections.
func benchEnv(b *testing.B) *env {
	// dm's default sweep interval (the tests' 20 ms sweeps would cost
	// the benchmark a SQLite write every 20 ms).
	e := newEnv(b, envOpts{dm: func(c *dm.Config) { c.DispatchInterval = time.Second }})
	d := e.startDevice("meter-b", nil)
	e.waitStatus("meter-b", "online")
	if err := d.c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(80)); err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	e.hc = &http.Client{Transport: tr}
	return e
}

// BenchmarkRESTRead is one REST read of /3/0/9 on an awake device after
// another: HTTP, auth, dm, lwm2m/server, DTLS and the device and back.
func BenchmarkRESTRead(b *testing.B) {
	e := benchEnv(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.do("GET", "/api/v1/devices/meter-b/lwm2m/3/0/9", nil).want(b, 200)
	}
}

// BenchmarkRESTReadPaced sends REST reads of /3/0/9 at a fixed 1,000
// requests/s (b.N requests, each on its own schedule, not waiting for the
// one before) and reports latency percentiles measured from each
// request's scheduled start, so a stall counts against every request it
// delays. Run with -benchtime 5000x for five seconds of load.
func BenchmarkRESTReadPaced(b *testing.B) {
	e := benchEnv(b)
	const interval = time.Millisecond
	lat := make([]time.Duration, b.N)
	failed := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func(i int, at time.Time) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", e.base+"/api/v1/devices/meter-b/lwm2m/3/0/9", nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := e.hc.Do(req)
			if err == nil {
				_, _ = resp.Body.Read(make([]byte, 512))
				resp.Body.Close()
			}
			lat[i] = time.Since(at)
			if err != nil || resp.StatusCode != 200 {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}(i, at)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d of %d requests failed", failed, b.N)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
