package sim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// transcript collects a console's output and lets a test wait for lines.
type transcript struct {
	mu     sync.Mutex
	buf    strings.Builder
	lines  []string
	cursor int
	grew   chan struct{}
}

func newTranscript() *transcript { return &transcript{grew: make(chan struct{})} }

func (tr *transcript) Write(p []byte) (int, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.buf.Write(p)
	s := tr.buf.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		tr.lines = append(tr.lines, strings.Split(s[:i], "\n")...)
		tr.buf.Reset()
		tr.buf.WriteString(s[i+1:])
		close(tr.grew)
		tr.grew = make(chan struct{})
	}
	return len(p), nil
}

// expect waits for a line (after the previous match) containing want and
// returns it; it fails after a minute (a hang guard).
func (tr *transcript) expect(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		tr.mu.Lock()
		for i := tr.cursor; i < len(tr.lines); i++ {
			if strings.Contains(tr.lines[i], want) {
				tr.cursor = i + 1
				line := tr.lines[i]
				tr.mu.Unlock()
				return line
			}
		}
		grew := tr.grew
		tr.mu.Unlock()
		select {
		case <-grew:
		case <-deadline:
			tr.mu.Lock()
			defer tr.mu.Unlock()
			t.Fatalf("no line with %q; output after the last match:\n%s", want, strings.Join(tr.lines[tr.cursor:], "\n"))
		}
	}
}

// TestConsoleScript drives one device's prompt with a script against a
// real lwm2m/server: show, set (a notification follows), update, Send,
// sleep and wake, reboot, firmware failure injection, bad commands, quit.
func TestConsoleScript(t *testing.T) {
	ts := newTestServer(t, pathTemperature)
	fw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("image")) }))
	defer fw.Close()
	out := newTranscript()
	con := NewConsole(out, objects.New())
	con.Prompt = "> "
	c, err := client.New(client.Config{
		Endpoint:    "lab-1",
		ServerURI:   ts.uri("coap"),
		QueueMode:   true,
		Models:      objects.New(),
		Codecs:      std.New(),
		SimInterval: -1,
		Events:      con.Events(),
		Dialer:      &client.CoAPDialer{},
		LocalAddr:   "127.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()
	in, script := io.Pipe()
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(ctx, c, in) }()
	say := func(line string) {
		if _, err := io.WriteString(script, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}

	say("wait registered")
	out.expect(t, "* registered /rd/")
	out.expect(t, "ok")
	say("status")
	out.expect(t, "endpoint lab-1")
	out.expect(t, "registered yes (/rd/")
	say("tree /3/0")
	out.expect(t, `/3/0/0 Manufacturer = "Shoal"`)
	out.expect(t, "/3/0/9 Battery Level = 100 /100")
	say("tree")
	out.expect(t, "/3303 Temperature")
	out.expect(t, "/3303/0/5701 Sensor Units = \"Cel\"")

	eventually(t, "the server observes temperature", func() bool { return c.Status().Observations == 1 })
	say("set /3303/0/5700 31.5")
	out.expect(t, "/3303/0/5700 = 31.5")
	out.expect(t, "* notified /3303/0/5700")
	say("wait notifications 1")
	out.expect(t, "ok")
	eventually(t, "the server got 31.5", func() bool { v, ok := ts.tally.lastValue(pathTemperature); return ok && v.Float() == 31.5 })
	say("get /3303/0/5700")
	out.expect(t, "/3303/0/5700 Sensor Value = 31.5")
	say("attrs /3303/0/5700")
	out.expect(t, "/3303/0/5700 (none)")

	say("update")
	say("wait updates 1")
	out.expect(t, "* updated")
	say("send /3/0/9 /3303/0/5700")
	out.expect(t, "* sent 2 path(s)")
	eventually(t, "the server got the Send", func() bool { return ts.tally.read().sends == 1 })

	say("sleep")
	say("wait asleep")
	out.expect(t, "* asleep")
	say("wake")
	say("wait awake")
	out.expect(t, "* awake")
	say("wait updates 2")
	out.expect(t, "* updated")

	say("reboot")
	say("wait reboots 1")
	out.expect(t, "* rebooted")
	say("wait registrations 2")
	out.expect(t, "* registered /rd/")

	say("fw-fail integrity")
	out.expect(t, "ok")
	eventually(t, "re-observed after the reboot", func() bool { return c.Status().Observations == 1 })
	write := lwm2m.NewRequest(lwm2m.OpWrite, lwm2m.ResourcePath(5, 0, 1))
	node := lwm2m.NewResource(1, lwm2m.StringValue(fw.URL+"/fw.bin"))
	write.Content = &node
	if _, err := ts.srv.Send(ctx, "lab-1", write); err != nil {
		t.Fatalf("write package URI: %v", err)
	}
	eventually(t, "the download failed", func() bool { return c.Status().FirmwareResult == client.FWResultIntegrity })
	say("status")
	out.expect(t, "firmware state 0 (idle) result 5 (integrity check failure)")

	for line, want := range map[string]string{
		"set /3/0/9 lots":      `error: set /3/0/9 (Battery Level, integer): invalid value: "lots" is not an integer`,
		"set /3/0/6 1":         "error: set /3/0/6: Available Power Sources is a multiple resource",
		"get /42":              "error:",
		"frobnicate":           `error: sim: bad command: unknown command "frobnicate"`,
		"wait sideways":        `error: sim: bad command: wait: unknown condition "sideways"`,
		"fw-fail meteor":       `unknown failure "meteor"`,
		"set /3/0/9 200":       "error: set /3/0/9",
		"send /3/0/9 /999/0/0": "error: send:",
	} {
		say(line)
		out.expect(t, want)
	}
	say("help")
	out.expect(t, "fw-fail <failure>")
	say("quit")
	if err := <-conDone; err != nil {
		t.Fatalf("console Run: %v", err)
	}
	cancel()
	<-ran
	eventually(t, "the server saw the deregistration", func() bool { return ts.tally.read().deregistered == 1 })
	out.expect(t, "* deregistered")
}

// TestConsoleEndsAtEOF: a script that just ends leaves Run with nil.
func TestConsoleEndsAtEOF(t *testing.T) {
	out := newTranscript()
	con := NewConsole(out, objects.New())
	c, err := client.New(client.Config{Endpoint: "eof", ServerURI: "coap://127.0.0.1:1", Models: objects.New(), Codecs: std.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Run(context.Background(), c, strings.NewReader("status\n# a comment\n\nget /3/0/2\n")); err != nil {
		t.Fatal(err)
	}
	out.expect(t, "registered no")
	out.expect(t, `/3/0/2 Serial Number = "eof"`)
}
