package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// Console is the interactive prompt of one simulated device: it reads
// commands line by line (from a terminal or a script), prints what they
// show, and prints the device's events as they happen, each on a line
// starting with "* ". Create it, put Events() into the client's Config,
// then Run it with the client.
type Console struct {
	// Prompt is printed before each command ("" for scripts).
	Prompt string
	// WaitTimeout bounds the wait command (default 60 s).
	WaitTimeout time.Duration
	// SendTimeout bounds the send command (default 30 s).
	SendTimeout time.Duration

	out    io.Writer
	models lwm2m.ModelProvider

	mu      sync.Mutex // output, counters, changed
	counts  map[string]uint64
	changed chan struct{} // closed and replaced on every event
}

// NewConsole returns a console writing to out; models name the objects
// and resources and type the values given to set.
func NewConsole(out io.Writer, models lwm2m.ModelProvider) *Console {
	return &Console{out: out, models: models, counts: map[string]uint64{}, changed: make(chan struct{})}
}

// printf writes one or more lines.
func (k *Console) printf(format string, a ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fmt.Fprintf(k.out, format, a...)
}

// event prints an event line and bumps a counter.
func (k *Console) event(counter, format string, a ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fmt.Fprintf(k.out, "* "+format+"\n", a...)
	if counter != "" {
		k.counts[counter]++
	}
	close(k.changed)
	k.changed = make(chan struct{})
}

// Events returns the client callbacks that print the device's events.
func (k *Console) Events() client.Events {
	return client.Events{
		Registered:   func(_, loc string) { k.event("registrations", "registered %s", loc) },
		Updated:      func(string) { k.event("updates", "updated") },
		Deregistered: func(string) { k.event("deregistrations", "deregistered") },
		Bootstrapped: func(string) { k.event("", "bootstrapped") },
		Notified: func(_ string, ps []lwm2m.Path) {
			k.event("notifications", "notified %s", joinPaths(ps))
		},
		Sent:     func(_ string, n int) { k.event("sends", "sent %d path(s)", n) },
		Error:    func(_ string, err error) { k.event("errors", "error: %v", err) },
		Asleep:   func(string) { k.event("", "asleep") },
		Awake:    func(string) { k.event("", "awake") },
		Rebooted: func(string) { k.event("reboots", "rebooted") },
	}
}

func joinPaths(ps []lwm2m.Path) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

// errQuit ends Run without an error.
var errQuit = errors.New("quit")

// Run executes commands from in until it ends, a quit command, or ctx
// ends; it returns nil then. A bad command prints "error: …" and the
// console goes on. The goroutine reading in ends when in does (EOF or an
// error), so a caller stopping early should close in.
func (k *Console) Run(ctx context.Context, c *client.Client, in io.Reader) error {
	if k.WaitTimeout == 0 {
		k.WaitTimeout = time.Minute
	}
	if k.SendTimeout == 0 {
		k.SendTimeout = 30 * time.Second
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		if k.Prompt != "" {
			k.printf("%s", k.Prompt)
		}
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
			if !ok {
				return nil
			}
		}
		cmd, err := parseCommand(line)
		if err == nil {
			err = k.exec(ctx, c, cmd)
		}
		if errors.Is(err, errQuit) {
			return nil
		}
		if err != nil {
			k.printf("error: %v\n", err)
		}
	}
}
