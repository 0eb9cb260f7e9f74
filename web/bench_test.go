package web_test

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkFleetPage measures what one load of the console's fleet page
// asks of the server: a page of 50 devices and the five counts (all and by
// status), as the console sends them (concurrently). The fleet is
// imported once through the REST API; SHOAL_BENCH_FLEET sets its size
// (default 10,000; SHOAL_BENCH_FLEET=100000 is the fleet the console is built for).
func BenchmarkFleetPage(b *testing.B) {
	n := 10000
	if v := os.Getenv("SHOAL_BENCH_FLEET"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("SHOAL_BENCH_FLEET=%q", v)
		}
	}
	s := startServer(b)
	s.importFleet(b, n)
	queries := []string{"limit=50", "limit=1", "limit=1&status=online", "limit=1&status=asleep",
		"limit=1&status=offline", "limit=1&status=never"}
	for _, filter := range []struct{ name, q string }{{"unfiltered", ""}, {"search", "&search=meter%201234"}, {"status", "&status=never"}} {
		b.Run(filter.name, func(b *testing.B) {
			for b.Loop() {
				var wg sync.WaitGroup
				for _, q := range queries {
					wg.Go(func() { s.get(b, "/devices?"+q+filter.q) })
				}
				wg.Wait()
			}
		})
	}
	b.Run("next-page", func(b *testing.B) {
		var page struct{ Next string }
		s.getJSON(b, "/devices?limit=50", &page)
		for b.Loop() {
			s.get(b, "/devices?limit=50&cursor="+page.Next)
		}
	})
}

// importFleet creates n devices through POST /devices/import, in batches.
func (s *server) importFleet(b testing.TB, n int) {
	const batch = 5000
	for start := 0; start < n; start += batch {
		rows := make([]map[string]any, 0, batch)
		for i := start; i < min(n, start+batch); i++ {
			rows = append(rows, map[string]any{"endpoint": fmt.Sprintf("fleet-%06d", i), "name": fmt.Sprintf("Meter %d", i),
				"credentials": map[string]any{"mode": "psk"}})
		}
		s.call(b, adminToken, http.MethodPost, "/devices/import", rows, nil, http.StatusOK)
	}
}
