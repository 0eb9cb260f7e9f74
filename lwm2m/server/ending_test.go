package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// TestNoPresenceEventAfterDeregistered: a device whose Update and
// De-register arrive back to back is served by two readers at once; the
// Listener must never see the Update after Deregistered (dm would mark the
// device online again). Many rounds make the interleaving show up.
func TestNoPresenceEventAfterDeregistered(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	s := startServer(t, cfg)
	const rounds = 300
	for i := range rounds {
		lc := device(t, s)
		ep := fmt.Sprintf("race-%d", i)
		id := location(t, register(t, lc, `</3/0>`, "ep="+ep, "b=UQ"))
		upd := lc.Request(coap.POST, "rd", id)
		del := lc.Request(coap.DELETE, "rd", id)
		for _, m := range []*coap.Message{upd, del} {
			if err := lc.Send(m); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if _, err := lc.Recv(); err != nil {
				t.Fatal(err)
			}
		}
		_ = lc.Close()
	}
	rec.waitEvent(t, fmt.Sprintf("deregistered race-%d", rounds-1))
	ended := map[string]bool{}
	var late []string
	for _, line := range rec.lines() {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[1], "race-") {
			continue
		}
		switch {
		case f[0] == "deregistered":
			ended[f[1]] = true
		case ended[f[1]] && slices.Contains([]string{"updated", "awake", "asleep"}, f[0]):
			late = append(late, line)
		}
	}
	if len(late) > 0 {
		t.Fatalf("%d events after Deregistered, e.g. %q", len(late), late[0])
	}
}
