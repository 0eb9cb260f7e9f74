package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// exec runs one parsed command.
func (k *Console) exec(ctx context.Context, c *client.Client, cmd command) error {
	switch cmd.name {
	case "":
	case "help", "?":
		var b strings.Builder
		for _, h := range commandHelp {
			fmt.Fprintf(&b, "  %-20s %s\n", h[0], h[1])
		}
		k.printf("%s", b.String())
	case "quit", "exit":
		return errQuit
	case "status":
		k.printf("%s", k.status(c))
	case "tree":
		return k.tree(c, cmd.paths)
	case "get":
		return k.tree(c, cmd.paths)
	case "attrs":
		a := c.Attributes(cmd.paths[0])
		k.printf("%s %s\n", cmd.paths[0], formatAttributes(a))
	case "set":
		return k.set(c, cmd.paths[0], cmd.text)
	case "tick":
		for range cmd.n {
			c.Tick()
		}
		k.printf("ok\n")
	case "update":
		c.TriggerUpdate()
		k.printf("ok\n")
	case "send":
		sctx, cancel := context.WithTimeout(ctx, k.SendTimeout)
		defer cancel()
		if err := c.SendNow(sctx, cmd.paths...); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		k.printf("ok\n")
	case "sleep":
		c.Sleep()
		k.printf("ok\n")
	case "wake":
		c.Wake()
		k.printf("ok\n")
	case "reboot":
		c.Reboot()
		k.printf("ok\n")
	case "fw-fail":
		c.SetFirmwareFailure(cmd.fail)
		k.printf("ok\n")
	case "wait":
		return k.wait(ctx, c, cmd)
	}
	return nil
}

var fwStates = []string{"idle", "downloading", "downloaded", "updating"}

var fwResults = []string{"initial", "success", "not enough flash", "out of RAM", "connection lost",
	"integrity check failure", "unsupported package type", "invalid URI", "update failed",
	"unsupported protocol", "cancelled"}

func nameOf(names []string, i int64) string {
	if i >= 0 && i < int64(len(names)) {
		return names[i]
	}
	return "?"
}

func (k *Console) status(c *client.Client) string {
	s := c.Status()
	yes := map[bool]string{true: "yes", false: "no"}
	var b strings.Builder
	fmt.Fprintf(&b, "endpoint %s\n", c.Endpoint())
	if s.Registered {
		fmt.Fprintf(&b, "registered yes (%s)\n", s.Location)
	} else {
		fmt.Fprintf(&b, "registered no\n")
	}
	fmt.Fprintf(&b, "sleeping %s\nbootstrapping %s\nobservations %d\n", yes[s.Sleeping], yes[s.Bootstrapping], s.Observations)
	fmt.Fprintf(&b, "firmware state %d (%s) result %d (%s)\n", s.FirmwareState, nameOf(fwStates, s.FirmwareState),
		s.FirmwareResult, nameOf(fwResults, s.FirmwareResult))
	return b.String()
}

// set parses text as the resource's model type and sets it.
func (k *Console) set(c *client.Client, p lwm2m.Path, text string) error {
	if p.Len() < 3 {
		return fmt.Errorf("set %s: a value goes to a resource or resource instance", p)
	}
	rm, ok := lwm2m.ResourceModelAt(k.models, p)
	if !ok {
		return fmt.Errorf("set %s: resource unknown to the object models", p)
	}
	if rm.Multiple && p.Len() == 3 {
		return fmt.Errorf("set %s: %s is a multiple resource: name an instance, e.g. %s/0", p, rm.Name, p)
	}
	v, err := lwm2m.ParseValue(rm.Type, text)
	if err != nil {
		return fmt.Errorf("set %s (%s, %s): %w", p, rm.Name, rm.Type, err)
	}
	if err := c.Set(p, v); err != nil {
		return fmt.Errorf("set %s: %w", p, err)
	}
	k.printf("%s = %s\n", p, display(v))
	return nil
}

// wait blocks until the condition holds, ctx ends or WaitTimeout passes.
func (k *Console) wait(ctx context.Context, c *client.Client, cmd command) error {
	timer := time.NewTimer(k.WaitTimeout)
	defer timer.Stop()
	for {
		k.mu.Lock()
		changed := k.changed
		count := k.counts[cmd.text]
		k.mu.Unlock()
		if k.holds(c, cmd, count) {
			k.printf("ok\n")
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait %s: %w", cmd.text, ctx.Err())
		case <-timer.C:
			if cmd.n > 0 {
				return fmt.Errorf("wait %s %d: still %d after %v", cmd.text, cmd.n, count, k.WaitTimeout)
			}
			return fmt.Errorf("wait %s: not so after %v", cmd.text, k.WaitTimeout)
		}
	}
}

func (k *Console) holds(c *client.Client, cmd command, count uint64) bool {
	s := c.Status()
	switch cmd.text {
	case "registered":
		return s.Registered
	case "unregistered":
		return !s.Registered
	case "asleep":
		return s.Sleeping
	case "awake":
		return !s.Sleeping
	}
	return count >= uint64(cmd.n)
}
