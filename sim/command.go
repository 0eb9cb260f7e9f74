package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// command is one parsed console line.
type command struct {
	name  string
	paths []lwm2m.Path
	text  string // set: the value text; wait: the condition
	n     int    // tick: steps; wait: the count to reach
	fail  client.FirmwareFailure
}

// commandHelp lists the console's commands (the order is the help's).
var commandHelp = [][2]string{
	{"status", "registration, sleep, observations and firmware state"},
	{"tree [path]", "the object tree with every value (or only under path)"},
	{"get <path>", "the value or node at path"},
	{"set <path> <value>", "set a resource as the device (notifications follow)"},
	{"attrs <path>", "the notification attributes the server wrote at path"},
	{"tick [n]", "move the simulated values n steps (default 1)"},
	{"update", "send a Registration Update now"},
	{"send <path>...", "report paths to the server with the Send operation (1.1)"},
	{"sleep | wake", "queue mode: go silent now / wake up and update"},
	{"reboot", "power-cycle: observations are lost, the device registers again"},
	{"fw-fail <failure>", "inject into firmware updates: none, integrity, out-of-memory, connection-lost, update-failed"},
	{"wait <state>", "wait until registered, unregistered, asleep or awake"},
	{"wait <counter> <n>", "wait until a counter reaches n: registrations, updates, deregistrations, notifications, sends, reboots, errors"},
	{"help", "this list"},
	{"quit", "deregister and leave (also end of input)"},
}

// firmwareFailures names the injectable failures.
var firmwareFailures = map[string]client.FirmwareFailure{
	"none":            client.FailNone,
	"integrity":       client.FailIntegrity,
	"out-of-memory":   client.FailOutOfMemory,
	"connection-lost": client.FailConnectionLost,
	"update-failed":   client.FailUpdate,
}

const failureNames = "none, integrity, out-of-memory, connection-lost or update-failed"

// ParseFirmwareFailure parses a failure name: none, integrity,
// out-of-memory, connection-lost or update-failed.
func ParseFirmwareFailure(s string) (client.FirmwareFailure, error) {
	f, ok := firmwareFailures[strings.ToLower(s)]
	if !ok {
		return 0, fmt.Errorf("%w: unknown firmware failure %q: %s", ErrConfig, s, failureNames)
	}
	return f, nil
}

// waitStates and waitCounters are what wait understands.
var (
	waitStates   = []string{"registered", "unregistered", "asleep", "awake"}
	waitCounters = []string{"registrations", "updates", "deregistrations", "notifications", "sends", "reboots", "errors"}
)

// parseCommand parses one console line; an empty line (or a comment
// starting with #) is the command "".
func parseCommand(line string) (command, error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return command{}, nil
	}
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	args := strings.Fields(rest)
	cmd := command{name: strings.ToLower(name)}
	bad := func(format string, a ...any) (command, error) {
		return command{}, fmt.Errorf("%w: %s: %s", ErrCommand, cmd.name, fmt.Sprintf(format, a...))
	}
	switch cmd.name {
	case "help", "?", "status", "update", "sleep", "wake", "reboot", "quit", "exit":
		if len(args) != 0 {
			return bad("takes no arguments")
		}
	case "tree":
		if len(args) > 1 {
			return bad("takes at most one path")
		}
		if len(args) == 1 {
			return withPaths(cmd, args, bad)
		}
	case "get", "attrs":
		if len(args) != 1 {
			return bad("takes one path")
		}
		return withPaths(cmd, args, bad)
	case "send":
		if len(args) == 0 {
			return bad("names at least one path")
		}
		return withPaths(cmd, args, bad)
	case "set":
		p, value, ok := strings.Cut(rest, " ")
		if !ok {
			return bad("usage: set <path> <value>")
		}
		cmd, err := withPaths(cmd, []string{p}, bad)
		cmd.text = strings.TrimSpace(value)
		return cmd, err
	case "tick":
		cmd.n = 1
		if len(args) > 1 {
			return bad("takes at most a count")
		}
		if len(args) == 1 {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 || n > 10000 {
				return bad("count %q is not a number in 1..10000", args[0])
			}
			cmd.n = n
		}
	case "fw-fail":
		if len(args) != 1 {
			return bad("names one failure: none, integrity, out-of-memory, connection-lost or update-failed")
		}
		f, ok := firmwareFailures[strings.ToLower(args[0])]
		if !ok {
			return bad("unknown failure %q: %s", args[0], failureNames)
		}
		cmd.fail = f
	case "wait":
		return parseWait(cmd, args, bad)
	default:
		return command{}, fmt.Errorf("%w: unknown command %q (try help)", ErrCommand, name)
	}
	return cmd, nil
}

func withPaths(cmd command, args []string, bad func(string, ...any) (command, error)) (command, error) {
	for _, a := range args {
		p, err := lwm2m.ParsePath(a)
		if err != nil {
			return bad("path %q: %v", a, err)
		}
		if p.IsRoot() {
			return bad("path %q names no object", a)
		}
		cmd.paths = append(cmd.paths, p)
	}
	return cmd, nil
}

func parseWait(cmd command, args []string, bad func(string, ...any) (command, error)) (command, error) {
	if len(args) == 0 {
		return bad("names a state (%s) or a counter and a count", strings.Join(waitStates, ", "))
	}
	what := strings.ToLower(args[0])
	cmd.text = what
	for _, s := range waitStates {
		if what == s {
			if len(args) != 1 {
				return bad("state %s takes no count", what)
			}
			return cmd, nil
		}
	}
	for _, c := range waitCounters {
		if what == c {
			if len(args) != 2 {
				return bad("counter %s needs the count to wait for", what)
			}
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 0 {
				return bad("count %q is not a non-negative number", args[1])
			}
			cmd.n = n
			return cmd, nil
		}
	}
	return bad("unknown condition %q: states %s; counters %s", args[0],
		strings.Join(waitStates, ", "), strings.Join(waitCounters, ", "))
}
