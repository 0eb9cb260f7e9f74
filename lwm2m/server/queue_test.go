package server_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

func queueServer(t *testing.T, rec *recorder, q server.HoldQueue) *server.Server {
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	cfg.AwakeWindow = 150 * time.Millisecond
	cfg.Queue = q
	return startServer(t, cfg)
}

type result struct {
	resp lwm2m.Response
	err  error
}

func TestQueueModeDeliveryOrder(t *testing.T) {
	rec := newRecorder()
	q := server.NewMemoryQueue(100)
	s := queueServer(t, rec, q)
	lc := device(t, s)
	id := location(t, register(t, lc, `</3/0>`, "ep=sleepy", "lwm2m=1.1", "Q"))
	rec.waitEvent(t, "awake sleepy")
	rec.waitEvent(t, "asleep sleepy")

	// Three requests while the device sleeps: nothing goes out, they wait
	// in order.
	paths := []string{"/3/0/0", "/3/0/1", "/3/0/2"}
	results := make([]chan result, len(paths))
	for i, p := range paths {
		results[i] = make(chan result, 1)
		go func() {
			r, err := s.Send(testCtx(t), "sleepy", req(lwm2m.OpRead, p))
			results[i] <- result{r, err}
		}()
		waitUntil(t, "request held", func() bool { return q.Len("sleepy") == i+1 })
	}
	if err := lc.ExpectSilence(100 * time.Millisecond); err != nil {
		t.Fatalf("the server sent to a sleeping device: %v", err)
	}

	// The device wakes with an Update; the requests follow one at a time.
	up := lc.Request(coap.POST, "rd", id)
	if err := lc.Send(up); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(paths) {
		m, err := lc.Recv()
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if m.Type == coap.Acknowledgement && m.MessageID == up.MessageID {
			continue // the Update's answer
		}
		got = append(got, m.PathString())
		// Nothing more until this one is answered (the Update's own answer
		// may still be on its way).
		lc.Wait = 50 * time.Millisecond
		for {
			extra, err := lc.Recv()
			if err != nil {
				break // silence
			}
			if extra.Type != coap.Acknowledgement || extra.MessageID != up.MessageID {
				t.Fatalf("a second request before the first was answered: %v", extra)
			}
		}
		lc.Wait = 5 * time.Second
		ans := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: m.MessageID, Token: m.Token, Payload: []byte(m.PathString())}
		ans.SetContentFormat(lwm2m.FormatText)
		if err := lc.Send(ans); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range paths {
		if got[i] != p {
			t.Fatalf("delivery order %v, want %v", got, paths)
		}
		r := <-results[i]
		if r.err != nil || r.resp.Content.Value.Str() != p {
			t.Fatalf("request %d: %+v %v", i, r.resp, r.err)
		}
	}
	waitUntil(t, "awake, asleep, awake, asleep", func() bool {
		return rec.count("awake sleepy") == 2 && rec.count("asleep sleepy") == 2
	})
}

func TestQueueModeDeadlineAndCap(t *testing.T) {
	rec := newRecorder()
	q := server.NewMemoryQueue(2)
	s := queueServer(t, rec, q)
	lc := device(t, s)
	location(t, register(t, lc, `</3/0>`, "ep=deep", "b=UQ")) // 1.0 queue mode
	rec.waitEvent(t, "asleep deep")

	rq := req(lwm2m.OpRead, "/3/0/0")
	rq.Timeout = 100 * time.Millisecond
	_, err := s.Send(testCtx(t), "deep", rq)
	if !errors.Is(err, server.ErrDeviceAsleep) || errors.Is(err, server.ErrTimeout) {
		t.Fatalf("got %v, want ErrDeviceAsleep", err)
	}
	if q.Len("deep") != 0 {
		t.Fatal("the expired request stayed queued")
	}

	for range 2 {
		go func() { _, _ = s.Send(testCtx(t), "deep", req(lwm2m.OpRead, "/3/0/0")) }()
	}
	waitUntil(t, "two held", func() bool { return q.Len("deep") == 2 })
	if _, err := s.Send(testCtx(t), "deep", req(lwm2m.OpRead, "/3/0/0")); !errors.Is(err, server.ErrQueueFull) {
		t.Fatalf("third held request: %v, want ErrQueueFull", err)
	}
}

func TestQueueModeAwakeDeviceGetsRequestsAtOnce(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true // default 93 s awake window
	s := startServer(t, cfg)
	dev := newFakeDevice(t)
	dev.connect(s, "ep=awake", "lwm2m=1.1", "Q")
	if r := send(t, s, "awake", req(lwm2m.OpRead, "/3/0/0")); r.Content.Value.Str() != "Shoal" {
		t.Fatalf("read from an awake queue-mode device: %+v", r)
	}
	rec.waitEvent(t, "awake awake")
}
