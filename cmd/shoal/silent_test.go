package main

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// coapOption appends one CoAP option (RFC 7252 §3.1) whose number is
// delta above the previous one.
func coapOption(b []byte, delta int, val []byte) []byte {
	nib := func(v int) (int, []byte) {
		switch {
		case v < 13:
			return v, nil
		case v < 269:
			return 13, []byte{byte(v - 13)}
		}
		return 14, []byte{byte((v - 269) >> 8), byte(v - 269)}
	}
	dn, dx := nib(delta)
	ln, lx := nib(len(val))
	b = append(b, byte(dn<<4|ln))
	b = append(append(append(b, dx...), lx...), val...)
	return b
}

// registerDatagram is a confirmable LwM2M 1.1 Register of ep (UDP binding,
// lifetime 1 h, objects /1/0 and /3/0).
func registerDatagram(ep string, mid uint16) []byte {
	b := []byte{0x40, 0x02, byte(mid >> 8), byte(mid)} // ver 1, CON, no token, POST
	b = coapOption(b, 11, []byte("rd"))                // Uri-Path
	b = coapOption(b, 1, []byte{40})                   // Content-Format: link-format
	b = coapOption(b, 3, []byte("ep="+ep))             // Uri-Query…
	for _, q := range []string{"lt=3600", "lwm2m=1.1", "b=U"} {
		b = coapOption(b, 0, []byte(q))
	}
	return append(append(b, 0xFF), "</1/0>,</3/0>"...)
}

// silentDevices registers n endpoints prefix0… from sockets of their own
// and returns once each has its 2.01 Created; afterwards they answer
// nothing, so every request the server sends them times out. Close the
// returned sockets when done.
func silentDevices(t *testing.T, server, prefix string, n int) []*net.UDPConn {
	t.Helper()
	srv, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*net.UDPConn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	const window = 256 // registrations in flight
	created := make([]bool, n)
	buf := make([]byte, 1500)
	for start := 0; start < n; start += window {
		end := min(start+window, n)
		for i := start; i < end; i++ {
			c, err := net.DialUDP("udp4", nil, srv)
			if err != nil {
				t.Fatalf("silent device %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		for attempt := 0; ; attempt++ {
			pending := 0
			for i := start; i < end; i++ {
				if !created[i] {
					pending++
					_, _ = conns[i].Write(registerDatagram(prefix+strconv.Itoa(i), uint16(i)))
				}
			}
			if pending == 0 {
				break
			}
			if attempt == 20 {
				t.Fatalf("%d silent devices of %d..%d never got 2.01 Created", pending, start, end)
			}
			deadline := time.Now().Add(time.Second)
			for i := start; i < end; i++ {
				for !created[i] {
					_ = conns[i].SetReadDeadline(deadline)
					k, err := conns[i].Read(buf)
					if err != nil {
						break // retransmitted next round
					}
					if k >= 4 && buf[1] == 0x41 && int(buf[2])<<8|int(buf[3]) == i&0xffff { // 2.01 for our MID
						created[i] = true
					}
				}
			}
		}
	}
	return conns
}

func TestRegisterDatagram(t *testing.T) {
	got := fmt.Sprintf("% x", registerDatagram("ab", 0x1234)[:12])
	// 40 02 12 34 | b2 "rd" | 11 28 | 35 "ep=ab"
	if want := "40 02 12 34 b2 72 64 11 28 35 65 70"; got != want {
		t.Fatalf("Register datagram starts % s, want %s", got, want)
	}
}
