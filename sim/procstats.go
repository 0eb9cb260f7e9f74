package sim

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcessStats describe the whole process (a demo server included).
type ProcessStats struct {
	// CPUUser and CPUSystem are CPU seconds since the process started.
	CPUUser   float64 `json:"cpu_user_s"`
	CPUSystem float64 `json:"cpu_system_s"`
	// RSS is the resident set now and MaxRSS its peak, in bytes (0 where
	// the platform does not say).
	RSS    int64 `json:"rss_bytes"`
	MaxRSS int64 `json:"max_rss_bytes"`
	// HeapInUse is the Go heap in use; Goroutines counts goroutines.
	HeapInUse  uint64 `json:"heap_inuse_bytes"`
	Goroutines int    `json:"goroutines"`
}

// ReadProcessStats measures the current process.
func ReadProcessStats() ProcessStats {
	var ps ProcessStats
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		ps.CPUUser = tvSeconds(ru.Utime)
		ps.CPUSystem = tvSeconds(ru.Stime)
		ps.MaxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	ps.RSS = currentRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ps.HeapInUse = ms.HeapInuse
	ps.Goroutines = runtime.NumGoroutine()
	return ps
}

func tvSeconds(tv syscall.Timeval) float64 {
	return (time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond).Seconds()
}

// currentRSS reads the resident set from /proc/self/statm (Linux); 0
// elsewhere.
func currentRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
