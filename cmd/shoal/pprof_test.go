package main

import (
	"strings"
	"testing"
)

func TestPprofRefusesRemoteAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "example.com:6060"} {
		_, err := pprofFlags{addr: addr}.listen()
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("listen(%q) = %v, want a refusal naming loopback", addr, err)
		}
	}
	if _, err := (pprofFlags{addr: "no-port"}).listen(); err == nil || !strings.Contains(err.Error(), "--pprof-addr") {
		t.Errorf("listen(no-port) = %v, want an error naming --pprof-addr", err)
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0"} {
		ln, err := pprofFlags{addr: addr}.listen()
		if err != nil {
			if addr == "[::1]:0" && strings.Contains(err.Error(), "cannot assign") {
				continue // no IPv6 loopback here
			}
			t.Errorf("listen(%q): %v", addr, err)
			continue
		}
		ln.Close()
	}
	ln, err := pprofFlags{addr: "127.0.0.1:0", allowRemote: true}.listen()
	if err != nil {
		t.Fatalf("listen(127.0.0.1:0) with allowRemote: %v", err)
	}
	ln.Close()
}
