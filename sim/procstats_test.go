package sim

import (
	"runtime"
	"testing"
)

func TestReadProcessStats(t *testing.T) {
	ps := ReadProcessStats()
	if runtime.GOOS == "linux" && (ps.RSS <= 0 || ps.MaxRSS < ps.RSS) {
		t.Fatalf("rss %d, peak %d", ps.RSS, ps.MaxRSS)
	}
	if ps.Goroutines < 1 || ps.HeapInUse == 0 || ps.CPUUser+ps.CPUSystem <= 0 {
		t.Fatalf("%+v", ps)
	}
}
