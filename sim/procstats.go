package sim

import (
	"os"
	"runtime"
	"strconv"
	"strings"
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
	ps.CPUUser, ps.CPUSystem = cpuTimes()
	ps.RSS, ps.MaxRSS = memory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ps.HeapInUse = ms.HeapInuse
	ps.Goroutines = runtime.NumGoroutine()
	return ps
}

// memory reads the resident set and its peak (VmRSS, VmHWM) from
// /proc/self/status (Linux); zeros elsewhere.
func memory() (rss, peak int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(val) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if name == "VmRSS" {
			rss = kb * 1024
		} else {
			peak = kb * 1024
		}
	}
	return rss, peak
}
