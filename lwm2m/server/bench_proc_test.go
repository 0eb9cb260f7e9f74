package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// The DTLS benchmarks run their clients in a child process (this test
// binary again, with SHOAL_LOADGEN set), so the server's CPU time and heap
// can be measured on their own. Both processes share the machine's CPUs.

func TestMain(m *testing.M) {
	if role := os.Getenv("SHOAL_LOADGEN"); role != "" {
		os.Exit(loadgenMain(role))
	}
	os.Exit(m.Run())
}

// loadgenMain is the child: it connects SHOAL_CLIENTS DTLS clients to
// SHOAL_SERVER, says READY, waits for GO, runs its role, says DONE and
// waits for stdin to close.
func loadgenMain(role string) int {
	addr := os.Getenv("SHOAL_SERVER")
	clients, _ := strconv.Atoi(os.Getenv("SHOAL_CLIENTS"))
	total, _ := strconv.ParseInt(os.Getenv("SHOAL_OPS"), 10, 64)
	suite := coap.CipherSuite(0xC0A8)
	if s, err := strconv.ParseUint(os.Getenv("SHOAL_SUITE"), 0, 16); err == nil {
		suite = coap.CipherSuite(s)
	}
	stdin := bufio.NewReader(os.Stdin)
	fail := func(err error) int {
		fmt.Println("FAIL", err)
		return 1
	}
	shared, err := coap.ListenShared("0.0.0.0:0")
	if err != nil {
		return fail(err)
	}
	var conns []*coap.Conn
	var ids []string
	if role != "handshakes" {
		conns, ids, err = dialAll(addr, shared, clients, suite)
		if err != nil {
			return fail(err)
		}
	}
	fmt.Println("READY")
	if _, err := stdin.ReadString('\n'); err != nil {
		return fail(err)
	}
	start := time.Now()
	var done atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	switch role {
	case "requests":
		for i, c := range conns {
			wg.Go(func() {
				up := coap.NewRequest(coap.POST, "rd", ids[i])
				for done.Add(1) <= total {
					if r, err := c.Do(context.Background(), up); err != nil || r.Code != lwm2m.CodeChanged {
						failed.Add(1)
					}
				}
			})
		}
	case "handshakes":
		for range 64 {
			wg.Go(func() {
				for {
					i := done.Add(1)
					if i > total {
						return
					}
					c, err := dtlsClient(context.Background(), addr, shared, int(i), suite)
					if err != nil {
						failed.Add(1)
						continue
					}
					_ = c.Close()
				}
			})
		}
	case "hold":
	}
	wg.Wait()
	fmt.Printf("DONE %d %f\n", failed.Load(), time.Since(start).Seconds())
	_, _ = io.Copy(io.Discard, stdin)
	for _, c := range conns {
		_ = c.Close()
	}
	return 0
}

func dialAll(addr string, shared *coap.SharedSocket, n int, suite coap.CipherSuite) ([]*coap.Conn, []string, error) {
	conns, ids := make([]*coap.Conn, n), make([]string, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				c, err := dtlsClient(context.Background(), addr, shared, i, suite)
				if err != nil {
					firstErr.Store(fmt.Errorf("client %d: %w", i, err))
					return
				}
				r, err := c.Do(context.Background(), registerReq(benchLinks, fmt.Sprintf("ep=bench-%d", i), "lwm2m=1.1"))
				if err != nil || r.Code != lwm2m.CodeCreated {
					firstErr.Store(fmt.Errorf("register %d: %v %v", i, r, err))
					return
				}
				conns[i], ids[i] = c, r.LocationPath()[1]
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return nil, nil, err
	}
	return conns, ids, nil
}

// loadgenProc is the parent's handle on the child.
type loadgenProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startLoadgen(tb testing.TB, role, server string, clients int, ops int64, suite coap.CipherSuite) *loadgenProc {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHOAL_LOADGEN="+role, "SHOAL_SERVER="+server,
		fmt.Sprint("SHOAL_CLIENTS=", clients), fmt.Sprint("SHOAL_OPS=", ops), fmt.Sprint("SHOAL_SUITE=", uint16(suite)))
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &loadgenProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	tb.Cleanup(func() {
		_ = p.in.Close()
		_ = p.cmd.Wait()
	})
	p.expect(tb, "READY")
	return p
}

func (p *loadgenProc) expect(tb testing.TB, word string) []string {
	for p.out.Scan() {
		f := strings.Fields(p.out.Text())
		if len(f) > 0 && f[0] == word {
			return f
		}
		if len(f) > 0 && f[0] == "FAIL" {
			tb.Fatalf("load generator: %s", p.out.Text())
		}
	}
	tb.Fatalf("load generator ended before %s", word)
	return nil
}

// run starts the child's work and returns its wall time and the server
// process's CPU time over it.
func (p *loadgenProc) run(tb testing.TB) (wall, cpu time.Duration) {
	c0 := cpuTime()
	if _, err := io.WriteString(p.in, "GO\n"); err != nil {
		tb.Fatal(err)
	}
	f := p.expect(tb, "DONE")
	cpu = cpuTime() - c0
	if f[1] != "0" {
		tb.Fatalf("%s operations failed", f[1])
	}
	secs, _ := strconv.ParseFloat(f[2], 64)
	return time.Duration(secs * float64(time.Second)), cpu
}

func stack() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.StackInuse)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportServer(b *testing.B, n int, wall, cpu time.Duration, unit string) {
	b.ReportMetric(float64(n)/wall.Seconds(), unit+"/s")
	per := cpu.Seconds() / float64(n)
	b.ReportMetric(per*1e6, "server-µs/op")
	b.ReportMetric(2/per, "server-capacity-2cpu/s")
}

// BenchmarkDTLSRequestsProc: 2,000 CID clients in a child process send
// Registration Updates back to back; one op is one Update answered.
func BenchmarkDTLSRequestsProc(b *testing.B) {
	for _, suite := range []coap.CipherSuite{coap.PSKWithAES128CCM8, coap.PSKWithAES128GCMSHA256} {
		b.Run(fmt.Sprintf("%#04x", uint16(suite)), func(b *testing.B) {
			s := dtlsBenchServer(b, true)
			p := startLoadgen(b, "requests", s.DTLSAddr().String(), 2000, int64(b.N), suite)
			b.ResetTimer()
			wall, cpu := p.run(b)
			reportServer(b, b.N, wall, cpu, "requests")
		})
	}
}

// BenchmarkDTLSHandshakesProc: a child process makes b.N fresh DTLS-PSK
// handshakes, 64 at a time; one op is one handshake.
func BenchmarkDTLSHandshakesProc(b *testing.B) {
	s := dtlsBenchServer(b, true)
	p := startLoadgen(b, "handshakes", s.DTLSAddr().String(), 0, int64(b.N), coap.PSKWithAES128CCM8)
	b.ResetTimer()
	wall, cpu := p.run(b)
	reportServer(b, b.N, wall, cpu, "handshakes")
}

// BenchmarkHeapPerDTLSDevice: 50,000 devices (in a child process) hold
// DTLS sessions with connection IDs and are registered; the server's heap
// growth per device is reported (external store).
func BenchmarkHeapPerDTLSDevice(b *testing.B) {
	devices := 50000
	if v, err := strconv.Atoi(os.Getenv("SHOAL_BENCH_DEVICES")); err == nil {
		devices = v
	}
	for range b.N {
		s := dtlsBenchServer(b, true)
		before, g0, st0 := heap(), runtime.NumGoroutine(), stack()
		startLoadgen(b, "hold", s.DTLSAddr().String(), devices, 0, coap.PSKWithAES128CCM8)
		time.Sleep(time.Second) // let the last sessions' pion goroutines wind down
		after := heap()
		if got := len(s.Registrations()); got != devices {
			b.Fatalf("%d registered", got)
		}
		b.ReportMetric(float64(after-before)/float64(devices), "B/device")
		b.ReportMetric(float64(stack()-st0)/float64(devices), "stack-B/device")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0), "goroutines")
	}
}
