package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/internal/dtlsload"
	"github.com/shoal-iot/shoal/sim"
)

// handshakeConcurrency is how many DTLS handshakes the generator runs at
// once.
const handshakeConcurrency = 64

// devicePSK is the key of the bench device with this PSK identity.
func devicePSK(identity string) []byte {
	k := sha256.Sum256([]byte("shoal-bench/" + identity))
	return k[:16]
}

// provisionPSK creates the fleet's devices with PSK credentials (identity
// = endpoint) through POST /api/v1/devices/import.
func provisionPSK(ctx context.Context, s *serverProc, prefix string, n int) error {
	devs := make([]sim.Device, n)
	for i := range devs {
		ep := fmt.Sprintf("%s%d", prefix, i)
		devs[i] = sim.Device{Endpoint: ep, Security: "psk", PSKIdentity: ep, PSKKey: devicePSK(ep)}
	}
	prov := &sim.APIProvisioner{BaseURL: "http://" + s.http, Token: adminToken}
	if _, err := prov.Provision(ctx, devs); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	return nil
}

// handshakeAll runs a DTLS-PSK handshake with connection ID for every
// device of f (identity = endpoint), handshakeConcurrency at once, each
// from its own loopback address; the session's records then go through
// the fleet's shared sockets (the server finds the session by its
// connection ID, not by the address). It returns the handshakes done and
// the first error.
func handshakeAll(ctx context.Context, f *fleet, suite uint16) (int, time.Duration, error) {
	var next, done atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range handshakeConcurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(f.devs) {
					return
				}
				d := &f.devs[i]
				sess, err := handshakeOne(ctx, d, f.server, suite)
				if err != nil {
					once.Do(func() { first = fmt.Errorf("device %s: %w", d.ep, err) })
					continue
				}
				d.sess = sess
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return int(done.Load()), time.Since(start), first
}

// selfProc is the harness's own CPU time and RSS.
func selfProc() procStat {
	ps, _ := readProc(os.Getpid())
	return ps
}

func handshakeOne(ctx context.Context, d *device, server *net.UDPAddr, suite uint16) (*dtlsload.Session, error) {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: d.addr.AsSlice()})
	if err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return dtlsload.Handshake(hctx, pc, server, []byte(d.ep), devicePSK(d.ep), suite)
}

// 4: dtlsDevs devices provisioned with PSKs through the API's import
// handshake (DTLS 1.2 PSK, AES-128-CCM-8, connection ID) with the
// harness's lean DTLS client (internal/dtlsload: pion's handshake, then
// records sealed in-line, no goroutine per session), register over DTLS,
// then send Updates back to back for the run's length, one outstanding
// per device.
func (h *harness) dtls(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, "")
	n := h.sz.dtlsDevs
	if err := provisionPSK(ctx, s, "dtls-", n); err != nil {
		return err
	}
	f, err := newFleet(s.coaps, "dtls-", n, nsocks)
	if err != nil {
		return err
	}
	defer f.close()
	sc.Commands = []string{h.serveCmd(s), fmt.Sprintf("POST /api/v1/devices/import (%d devices, PSK identity = endpoint)", n),
		fmt.Sprintf("(harness lean DTLS client, internal/dtlsload) DTLS-PSK handshakes (0xC0A8 AES-128-CCM-8, connection ID), %d at once, each from the device's loopback address", handshakeConcurrency),
		genCmd(fmt.Sprintf("over DTLS: Register, then Update (empty POST /rd/{id}) for %v", h.sz.dtlsFor), n, "")}
	m := h.begin(ctx, s, sc, int(h.sz.dtlsFor.Seconds())+max(5, n/1000))
	srv0, gen0 := s.proc(), selfProc()
	hs, hsTook, err := handshakeAll(ctx, f, dtlsload.PSKWithAES128CCM8)
	srvHS, genHS := s.proc().cpu-srv0.cpu, selfProc().cpu-gen0.cpu
	if hs < n {
		return fmt.Errorf("%d of %d handshakes: %v", hs, n, err)
	}
	r := f.run(ctx, registerPhase{lifetime: 3600}, 64)
	if r.ok != int64(n) {
		return fmt.Errorf("only %d of %d devices registered over DTLS (%d refused)", r.ok, n, r.failed)
	}
	regSnap := r.lat.Snapshot()
	sctx, cancel := context.WithTimeout(ctx, h.sz.dtlsFor)
	u := f.run(sctx, updatePhase{}, 0)
	cancel()
	m.end(sc)
	snap := u.lat.Snapshot()
	sc.add("DTLS handshakes/s", float64(hs)/hsTook.Seconds(), "/s").atLeast(2000, "≥ 2,000/s")
	sc.add("server CPU per handshake", ms(srvHS/time.Duration(hs)), "ms")
	sc.add("generator CPU per handshake (pion client, same cores)", ms(genHS/time.Duration(hs)), "ms")
	sc.add("Registers/s over DTLS", float64(r.ok)/r.elapsed.Seconds(), "/s")
	sc.add("Register p99", ms(regSnap.Quantile(0.99)), "ms")
	sc.add("devices registered", float64(r.ok), "devices").atLeast(float64(n), fmt.Sprint(n))
	sc.add("Updates/s over DTLS", float64(u.ok)/u.elapsed.Seconds(), "/s").ratio(h.echo).atLeast(35000, "≥ 35,000/s")
	sc.add("Update p50", ms(snap.Quantile(0.5)), "ms")
	sc.add("Update p99", ms(snap.Quantile(0.99)), "ms")
	sc.add("failed", float64(u.failed), "")
	sc.add("retransmissions", float64(f.retransmits.Load()), "")
	sc.Notes = append(sc.Notes, "load: the harness's lean DTLS client on the same two cores (pion for the handshake, then one AEAD seal/open per datagram in the generator's loop)")
	return nil
}
