package server_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/internal/loadgen"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

// Server benchmarks drive an in-process server over real loopback UDP
// with the loadgen fleet (raw datagrams, one source address per device,
// sendmmsg/recvmmsg). Server and load generator share the machine's CPUs.
// Rates are reported as custom metrics; the usual ns/op is per operation
// of the whole system.

// countingListener counts notifications and Send events.
type countingListener struct {
	server.NopListener
	notes atomic.Int64
}

func (c *countingListener) Notification(server.Notification) { c.notes.Add(1) }

// discardStore stands in for a durable store living outside the process:
// the server's own memory is then all that is measured.
type discardStore struct{}

func (discardStore) LoadRegistrations(context.Context) ([]server.Registration, error) {
	return nil, nil
}
func (discardStore) SaveRegistration(context.Context, server.Registration) error    { return nil }
func (discardStore) DeleteRegistration(context.Context, string) error               { return nil }
func (discardStore) LoadObservations(context.Context) ([]server.Observation, error) { return nil, nil }
func (discardStore) SaveObservation(context.Context, server.Observation) error      { return nil }
func (discardStore) DeleteObservation(context.Context, string, []byte) error        { return nil }
func (discardStore) DeleteObservations(context.Context, string) error               { return nil }

func benchServer(b *testing.B, l server.Listener, discard bool) *server.Server {
	cfg := server.Config{CoAPAddr: "127.0.0.1:0", AllowUnknownNoSec: true, Listener: l, Models: objects.New()}
	if discard {
		cfg.Registrations, cfg.Observations = discardStore{}, discardStore{}
	}
	s, err := server.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.Ready()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return s
}

const benchLinks = `</>;rt="oma.lwm2m";ct=112,</1/0>,</3/0>,</3303/0>`

func fleet(b *testing.B, s *server.Server, n int) *loadgen.Fleet {
	f, err := loadgen.New(s.UDPAddr().String(), n, 4)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Close)
	return f
}

// registerAll registers every device of f and returns the rate.
func registerAll(b *testing.B, f *loadgen.Fleet) float64 {
	reg := &loadgen.Register{Prefix: "bench-", Links: benchLinks, Query: []string{"lt=86400", "lwm2m=1.1", "b=U"}}
	n := int64(len(f.Devices))
	start := time.Now()
	got := f.Run(context.Background(), reg, func(c int64) bool { return c >= n })
	el := time.Since(start)
	if got != n || reg.Failed.Load() != 0 {
		b.Fatalf("registered %d of %d, %d failed (last code %v)", got, n, reg.Failed.Load(), lwm2m.Code(reg.LastCode.Load()))
	}
	return float64(n) / el.Seconds()
}

// runUpdates is the timed part of the Update benchmarks: f's registered
// devices send b.N Registration Updates back to back; the rate is
// reported as unit.
func runUpdates(b *testing.B, f *loadgen.Fleet, unit string) {
	up := &loadgen.Update{}
	n := int64(b.N)
	b.ResetTimer()
	start := time.Now()
	got := f.Run(context.Background(), up, func(c int64) bool { return c >= n })
	el := time.Since(start)
	b.StopTimer()
	if up.Failed.Load() != 0 {
		b.Fatalf("%d updates failed", up.Failed.Load())
	}
	b.ReportMetric(float64(got)/el.Seconds(), unit)
	b.ReportMetric(float64(f.Retransmits.Load()), "retransmits")
}

// BenchmarkUDPRegistrations: one op is one device's Register (b.N
// distinct devices, 256 in flight per socket).
func BenchmarkUDPRegistrations(b *testing.B) {
	s := benchServer(b, nil, false)
	f := fleet(b, s, b.N)
	f.Window = 256
	b.ResetTimer()
	rate := registerAll(b, f)
	b.ReportMetric(rate, "registrations/s")
	b.ReportMetric(float64(f.Retransmits.Load()), "retransmits")
}

// BenchmarkUDPUpdates: 1,000 registered devices send Registration Updates
// back to back; one op is one Update answered.
func BenchmarkUDPUpdates(b *testing.B) {
	s := benchServer(b, nil, false)
	f := fleet(b, s, 1000)
	registerAll(b, f)
	runUpdates(b, f, "updates/s")
}

// BenchmarkNotifications: the server observes /3303/0/5700 on 1,000
// devices, which then send confirmable SenML CBOR notifications back to
// back; one op is one notification decoded and delivered to the listener.
func BenchmarkNotifications(b *testing.B) {
	l := &countingListener{}
	s := benchServer(b, l, false)
	const devices = 1000
	f := fleet(b, s, devices)
	registerAll(b, f)
	payload, err := std.New().EncodeRecords(lwm2m.FormatSenMLCBOR, lwm2m.Root,
		[]lwm2m.Record{{Path: lwm2m.MustPath("/3303/0/5700"), Value: lwm2m.FloatValue(21.5)}})
	if err != nil {
		b.Fatal(err)
	}
	// Observe every device while the fleet answers.
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan int64, 1)
	go func() {
		served <- f.Run(ctx, &loadgen.Observed{Payload: payload}, func(c int64) bool { return c >= devices })
	}()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range devices {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := s.Send(context.Background(), "bench-"+itoa(i), lwm2m.NewRequest(lwm2m.OpObserve, lwm2m.MustPath("/3303/0/5700"))); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	if n := <-served; n != devices {
		b.Fatalf("%d observations answered", n)
	}
	cancel()
	base := l.notes.Load()
	nt := &loadgen.Notify{Payload: payload}
	n := int64(b.N)
	b.ResetTimer()
	start := time.Now()
	f.Run(context.Background(), nt, func(c int64) bool { return c >= n })
	for l.notes.Load()-base < n { // the listener runs behind the ACKs
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	if nt.Reset.Load() != 0 {
		b.Fatalf("%d notifications were reset", nt.Reset.Load())
	}
	b.ReportMetric(float64(l.notes.Load()-base)/el.Seconds(), "notifications/s")
	b.ReportMetric(float64(f.Retransmits.Load()), "retransmits")
}

// BenchmarkHeapPerUDPDevice registers 50,000 devices and reports the
// server's heap growth per registered device, with the in-memory stores
// (which keep a second copy of every registration) and with a store that
// keeps nothing in the process (as a database would).
func BenchmarkHeapPerUDPDevice(b *testing.B) {
	for _, discard := range []bool{false, true} {
		name := "memory-store"
		if discard {
			name = "external-store"
		}
		b.Run(name, func(b *testing.B) {
			const devices = 50000
			for range b.N {
				s := benchServer(b, nil, discard)
				f := fleet(b, s, devices)
				f.Window = 256
				before := heap()
				registerAll(b, f)
				time.Sleep(500 * time.Millisecond) // let batched store writes land
				after := heap()
				if got := len(s.Registrations()); got != devices {
					b.Fatalf("%d registered", got)
				}
				b.ReportMetric(float64(after-before)/devices, "B/device")
			}
		})
	}
}

func heap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
