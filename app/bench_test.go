package app_test

import (
	"context"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// BenchmarkRESTReadPaced reads /3/0/9 of an awake DTLS-PSK device through
// the REST API at a fixed rate (1,000 requests/s) — open loop: request i
// is due at start + i·1 ms whatever earlier answers do, and its latency
// counts from when it was due, so a stall shows up in the tail instead of
// slowing the load down. b.N is the number of requests:
//
//	go test -run '^$' -bench RESTReadPaced -benchtime 10000x ./app/
//
// It reports p50, p99 and max latency and the achieved rate.
// SHOAL_BENCH_RATE changes the rate, SHOAL_BENCH_NSTART the requests in
// flight per device (default 1); SHOAL_BENCH_DIRECT=1 calls
// dm.Service.Execute instead of going through HTTP (to tell the REST
// layer's share from the LwM2M round trip's); SHOAL_BENCH_TRACE=1 logs
// when slow stretches began.
func BenchmarkRESTReadPaced(b *testing.B) {
	rate := 1000
	if v, err := strconv.Atoi(os.Getenv("SHOAL_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	cfg := testConfig(b, storetest.SQLite().NewDSN(b))
	if v, err := strconv.Atoi(os.Getenv("SHOAL_BENCH_NSTART")); err == nil {
		cfg.NStart = v
	}
	r := start(b, cfg)
	key := r.createPSK(b, "bench-1", nil)
	device(b, client.Config{Endpoint: "bench-1", ServerURI: "coaps://" + r.a.CoAPSAddr().String(), PSKIdentity: "bench-1", PSKKey: key})
	url := r.base + "/devices/bench-1/lwm2m/3/0/9"
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 30 * time.Second}
	get := func() error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+r.token)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &statusErr{resp.StatusCode}
		}
		return nil
	}
	// Wait until the device answers, then warm up connections.
	deadline := time.Now().Add(20 * time.Second)
	for get() != nil {
		if time.Now().After(deadline) {
			b.Fatal("the device never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 200 {
		if err := get(); err != nil {
			b.Fatal(err)
		}
	}

	if os.Getenv("SHOAL_BENCH_DIRECT") != "" {
		svc := r.a.Service()
		req := lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/9"))
		get = func() error {
			_, err := svc.Execute(context.Background(), dm.System(), "bench-1", req, dm.CommandOptions{})
			return err
		}
	}
	lat := make([]time.Duration, b.N)
	errs := make([]error, b.N)
	due := make(chan int, b.N)
	var wg sync.WaitGroup
	start := time.Now()
	for range 128 {
		wg.Go(func() {
			for i := range due {
				at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				errs[i] = get()
				lat[i] = time.Since(at)
			}
		})
	}
	b.ResetTimer()
	for i := range b.N {
		due <- i
	}
	close(due)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	for i, err := range errs {
		if err != nil {
			b.Fatalf("request %d: %v", i, err)
		}
	}
	if os.Getenv("SHOAL_BENCH_TRACE") != "" {
		for i, l := range lat {
			if l > 20*time.Millisecond && (i == 0 || lat[i-1] <= 20*time.Millisecond) {
				b.Logf("slow from request %d (due at %v): %v", i, time.Duration(i)*time.Second/time.Duration(rate), l)
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

type statusErr struct{ code int }

func (e *statusErr) Error() string { return http.StatusText(e.code) }
