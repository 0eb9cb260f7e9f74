package main

import (
	"context"
	"errors"
	"net"
	"sync"

	"golang.org/x/net/ipv4"
)

// echoServer is the machine's ceiling: a raw UDP CoAP responder that
// answers every CON request with an ACK piggy-backing 2.05 (GET) or 2.04
// (anything else) and the request's token, and does nothing else. Two
// goroutines read the one socket with recvmmsg and answer with sendmmsg.
type echoServer struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn
}

func newEcho(addr string) (*echoServer, error) {
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp4", ua)
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(8 << 20)
	_ = conn.SetWriteBuffer(8 << 20)
	return &echoServer{conn: conn, pc: ipv4.NewPacketConn(conn)}, nil
}

func (e *echoServer) addr() string { return e.conn.LocalAddr().String() }

// Serve answers until ctx ends.
func (e *echoServer) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = e.conn.Close() })
	defer stop()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(e.loop)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.New("echo: socket closed")
}

func (e *echoServer) loop() {
	in := make([]ipv4.Message, batchLen)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 2048)}
	}
	out := make([]ipv4.Message, 0, batchLen)
	bufs := make([][]byte, batchLen)
	for {
		n, err := e.pc.ReadBatch(in, 0)
		if err != nil {
			return
		}
		out = out[:0]
		for i := range n {
			b := in[i].Buffers[0][:in[i].N]
			if len(b) < 4 || b[0]>>6 != 1 || b[0]>>4&3 != typeCON || b[1] == 0 || b[1] >= 32 {
				continue
			}
			tkl := int(b[0] & 0x0f)
			if tkl > 8 || len(b) < 4+tkl {
				continue
			}
			code := byte(codeChanged)
			if b[1] == codeGET {
				code = codeContent
			}
			a := append(bufs[i][:0], 1<<6|typeACK<<4|byte(tkl), code, b[2], b[3])
			a = append(a, b[4:4+tkl]...)
			bufs[i] = a
			out = append(out, ipv4.Message{Buffers: [][]byte{a}, Addr: in[i].Addr})
		}
		for rest := out; len(rest) > 0; {
			k, err := e.pc.WriteBatch(rest, 0)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				k = max(k, 1)
			}
			rest = rest[k:]
		}
	}
}
