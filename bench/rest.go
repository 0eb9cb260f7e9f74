package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/sim"
)

// 5: an open-loop generator reads /3303/0/5700 of one awake device through
// the REST API at fixed rates. Requests go out on schedule whether or not
// earlier ones finished, and latency counts from the scheduled time, so a
// stall shows in the percentiles instead of slowing the generator.
func (h *harness) restReads(ctx context.Context, s *serverProc, f *fleet, sc *Scenario) error {
	ictx, icancel := context.WithCancel(ctx)
	idled := make(chan struct{})
	go func() { f.idle(ictx, func() bool { return false }); close(idled) }()
	defer func() { icancel(); <-idled }()
	ep := f.devs[0].ep
	url := "http://" + s.http + "/api/v1/devices/" + ep + "/lwm2m/3303/0/5700"
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}
	sc.Commands = []string{h.serveCmd(s) + " (scenario 3's server and fleet)",
		fmt.Sprintf("(harness open-loop HTTP generator) GET %s at %v req/s for %v each", "/api/v1/devices/"+ep+"/lwm2m/3303/0/5700", h.sz.restRates, h.sz.restFor)}
	total := time.Duration(len(h.sz.restRates)) * h.sz.restFor
	m := h.begin(ctx, s, sc, int(total.Seconds()))
	for _, rate := range h.sz.restRates {
		hist := &sim.Histogram{}
		var ok, failed atomic.Int64
		var wg sync.WaitGroup
		n := int(float64(rate) * h.sz.restFor.Seconds())
		start := time.Now()
		for i := range n {
			at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			if ctx.Err() != nil {
				break
			}
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+adminToken)
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				hist.Record(time.Since(at))
				if err == nil && resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		snap := hist.Snapshot()
		sc.add(fmt.Sprintf("%d req/s: p50", rate), ms(snap.Quantile(0.5)), "ms")
		p99 := sc.add(fmt.Sprintf("%d req/s: p99", rate), ms(snap.Quantile(0.99)), "ms")
		if rate == 1000 {
			p99.atMost(10, "< 10 ms")
		}
		sc.add(fmt.Sprintf("%d req/s: achieved", rate), float64(ok.Load())/time.Since(start).Seconds(), "/s")
		sc.add(fmt.Sprintf("%d req/s: failed", rate), float64(failed.Load()), "")
	}
	client.CloseIdleConnections()
	m.end(sc)
	return nil
}
