package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/server"
)

// gatedRegistrations holds its first SaveRegistration until released and
// then honours the context it was given, as a database driver does.
type gatedRegistrations struct {
	*server.MemoryRegistrations
	entered, release chan struct{}
	once             sync.Once
}

func (g *gatedRegistrations) SaveRegistration(ctx context.Context, r server.Registration) error {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return g.MemoryRegistrations.SaveRegistration(ctx, r)
}

// TestShutdownWritesPendingBatches: the batch being written when Serve's
// context ends is finished, and what was queued behind it is written too.
func TestShutdownWritesPendingBatches(t *testing.T) {
	regs := &gatedRegistrations{MemoryRegistrations: server.NewMemoryRegistrations(), entered: make(chan struct{}), release: make(chan struct{})}
	cfg := testConfig(newRecorder())
	cfg.AllowUnknownNoSec, cfg.Registrations = true, regs
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.Ready()

	location(t, register(t, device(t, s), `</1/0>`, "ep=first"))
	<-regs.entered // the batch with "first" is being written
	location(t, register(t, device(t, s), `</1/0>`, "ep=second"))
	cancel()
	close(regs.release)
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	got, _ := regs.LoadRegistrations(context.Background())
	eps := map[string]bool{}
	for _, r := range got {
		eps[r.Endpoint] = true
	}
	if !eps["first"] || !eps["second"] {
		t.Fatalf("stored after shutdown: %v, want first (batch under way) and second (last batch)", eps)
	}
}

// stuckRegistrations never finishes a write before its context ends.
type stuckRegistrations struct{ *server.MemoryRegistrations }

func (stuckRegistrations) SaveRegistration(ctx context.Context, _ server.Registration) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestShutdownWithAStuckStore: a store that hangs delays Serve's return
// by PersistTimeout, not forever.
func TestShutdownWithAStuckStore(t *testing.T) {
	cfg := testConfig(newRecorder())
	cfg.AllowUnknownNoSec = true
	cfg.Registrations = stuckRegistrations{server.NewMemoryRegistrations()}
	cfg.PersistTimeout = 50 * time.Millisecond
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.Ready()
	location(t, register(t, device(t, s), `</1/0>`, "ep=stuck"))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return while the store hung")
	}
}
