package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// opFlags are the options every LwM2M operation takes.
type opFlags struct {
	format, timeout, wait, expiry string
	queue, noQueue                bool
	attempts                      int
}

func (o *opFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "content format: tlv, senml-json, senml-cbor, lwm2m-json, lwm2m-cbor, text, opaque, cbor")
	f.StringVar(&o.timeout, "timeout", "", "how long the device has to answer (e.g. 10s)")
	f.StringVar(&o.wait, "wait", "", "wait this long for a sleeping device's answer instead of queuing and returning")
	f.BoolVar(&o.queue, "queue", false, "always queue the command durably")
	f.BoolVar(&o.noQueue, "no-queue", false, "fail rather than queue when the device cannot be reached")
	f.StringVar(&o.expiry, "expiry", "", "lifetime of a queued command (e.g. 1h)")
	f.IntVar(&o.attempts, "attempts", 0, "delivery attempts of a queued command")
}

func (o *opFlags) query() (url.Values, error) {
	if o.queue && o.noQueue {
		return nil, usageError{fmt.Errorf("--queue and --no-queue exclude each other")}
	}
	q := url.Values{}
	setQ(q, "format", o.format)
	setQ(q, "timeout", o.timeout)
	setQ(q, "wait", o.wait)
	setQ(q, "expiry", o.expiry)
	if o.attempts > 0 {
		q.Set("attempts", fmt.Sprint(o.attempts))
	}
	if o.queue {
		q.Set("queue", "true")
	}
	if o.noQueue {
		q.Set("queue", "false")
	}
	return q, nil
}

// resultView is an operation's answer (200/201).
type resultView struct {
	Endpoint string          `json:"endpoint"`
	Op       string          `json:"op"`
	Path     string          `json:"path"`
	Code     string          `json:"code"`
	Format   string          `json:"format"`
	Content  json.RawMessage `json:"content"`
	Records  []struct {
		Path  string          `json:"path"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
		Time  *time.Time      `json:"time"`
	} `json:"records"`
	Links []struct {
		Target string         `json:"target"`
		Params map[string]any `json:"params"`
	} `json:"links"`
	Location string `json:"location"`
}

// commandView is a stored command.
type commandView struct {
	ID        int64       `json:"id"`
	Endpoint  string      `json:"endpoint"`
	Op        string      `json:"op"`
	Path      string      `json:"path"`
	Paths     []string    `json:"paths"`
	State     string      `json:"state"`
	Attempts  int         `json:"attempts"`
	ExpiresAt *time.Time  `json:"expires_at"`
	CreatedAt *time.Time  `json:"created_at"`
	Result    *resultView `json:"result"`
	Error     string      `json:"error"`
}

func (c commandView) target() string {
	if c.Path != "" {
		return c.Path
	}
	return strings.Join(c.Paths, ",")
}

func resultTable(r resultView) (*table, error) {
	t := newTable("PATH", "TYPE", "VALUE")
	if err := nodeRows(t, r.Path, r.Content); err != nil {
		return nil, err
	}
	for _, rec := range r.Records {
		t.add(rec.Path, rec.Type, cell(rec.Value))
	}
	for _, l := range r.Links {
		keys := make([]string, 0, len(l.Params))
		for k := range l.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ps []string
		for _, k := range keys {
			if b, ok := l.Params[k].(bool); ok && b {
				ps = append(ps, k)
			} else {
				ps = append(ps, fmt.Sprintf("%s=%v", k, l.Params[k]))
			}
		}
		t.add(l.Target, "link", strings.Join(ps, ";"))
	}
	if len(t.rows) == 0 {
		t = fields("result", r.Code+" "+r.Op+" "+r.Path, "location", r.Location)
	}
	return t, nil
}

// runOp sends an operation request and prints the answer or the queued
// command.
func (a *app) runOp(cmd *cobra.Command, r request) error {
	resp, err := a.api.send(cmd.Context(), r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusAccepted {
		return a.show(raw, func(raw json.RawMessage) (*table, error) {
			var c commandView
			if err := json.Unmarshal(raw, &c); err != nil {
				return nil, err
			}
			return fields("queued", fmt.Sprintf("command %d (%s): the device is not reachable now; shoalctl commands get %d", c.ID, c.State, c.ID)), nil
		})
	}
	return a.show(raw, func(raw json.RawMessage) (*table, error) {
		var rv resultView
		if err := json.Unmarshal(raw, &rv); err != nil {
			return nil, err
		}
		return resultTable(rv)
	})
}

// opPath is the route path of an operation on endpoint at path.
func opPath(kind, ep, p string) string {
	return "/api/v1/devices/" + esc(ep) + "/" + kind + "/" + strings.TrimPrefix(p, "/")
}

// simpleOp builds a command that sends method to /{kind}/{path} with no body.
func (a *app) simpleOp(use, short, method, kind string) *cobra.Command {
	var o opFlags
	cmd := &cobra.Command{
		Use:   use + " <endpoint> <path>",
		Short: short,
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := o.query()
			if err != nil {
				return err
			}
			return a.runOp(cmd, request{method: method, path: opPath(kind, args[0], args[1]), query: q})
		},
	}
	o.add(cmd)
	return cmd
}

func (a *app) opCmds() []*cobra.Command {
	return []*cobra.Command{
		a.simpleOp("read", "Read a value, resource, instance or object", http.MethodGet, "lwm2m"),
		a.writeCmd(), a.execCmd(), a.createCmd(),
		a.simpleOp("delete", "Delete an object instance", http.MethodDelete, "lwm2m"),
		a.simpleOp("discover", "Discover what an object, instance or resource holds and its attributes", http.MethodGet, "discover"),
		a.simpleOp("observe", "Observe a path; notifications arrive as telemetry and events", http.MethodPost, "observe"),
		a.simpleOp("unobserve", "Cancel an observation", http.MethodDelete, "observe"),
		a.attributesCmd(),
		a.compositeCmd("read-composite", "Read several paths at once", http.MethodGet, ""),
		a.compositeCmd("observe-composite", "Observe several paths at once", http.MethodPost, "/observe"),
		a.compositeCmd("unobserve-composite", "Cancel an Observe-Composite", http.MethodDelete, "/observe"),
		a.writeCompositeCmd(),
	}
}

func (a *app) writeCmd() *cobra.Command {
	var o opFlags
	var asJSON, partial bool
	var typ string
	cmd := &cobra.Command{
		Use:   "write <endpoint> <path> <value>",
		Short: "Write a value (typed by the object model; --json for instances and multiple resources)",
		Args:  exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := o.query()
			if err != nil {
				return err
			}
			body, err := valueBody(args[2], asJSON, typ)
			if err != nil {
				return err
			}
			method := http.MethodPut
			if partial {
				method = http.MethodPatch
			}
			return a.runOp(cmd, request{method: method, path: opPath("lwm2m", args[0], args[1]), query: q, body: body})
		},
	}
	o.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "the value is JSON, e.g. '{\"14\": \"+02\"}' for an instance or '[1,2]' for a multiple resource")
	f.BoolVar(&partial, "partial", false, "partial update (keep what the write does not name) instead of replace")
	f.StringVar(&typ, "type", "", "LwM2M type of the value, for resources Shoal has no model of")
	return cmd
}

// valueBody makes {"value": v[, "type": t]}.
func valueBody(v string, asJSON bool, typ string) (io.Reader, error) {
	var val json.RawMessage
	if asJSON {
		if !json.Valid([]byte(v)) {
			return nil, usageError{fmt.Errorf("--json: %q is not JSON", v)}
		}
		val = json.RawMessage(v)
	} else {
		b, _ := json.Marshal(v)
		val = b
	}
	m := map[string]any{"value": val}
	if typ != "" {
		m["type"] = typ
	}
	return jsonBody(m)
}

func (a *app) execCmd() *cobra.Command {
	var o opFlags
	cmd := &cobra.Command{
		Use:   "exec <endpoint> <path> [arguments]",
		Short: "Execute a resource, with optional arguments such as 0='v',1",
		Args:  rangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := o.query()
			if err != nil {
				return err
			}
			argText := ""
			if len(args) == 3 {
				argText = args[2]
			}
			return a.runOp(cmd, request{method: http.MethodPost, path: opPath("lwm2m", args[0], args[1]), query: q,
				body: strings.NewReader(argText), contentType: "text/plain"})
		},
	}
	o.add(cmd)
	return cmd
}

func (a *app) createCmd() *cobra.Command {
	var o opFlags
	var id int
	cmd := &cobra.Command{
		Use:   "create <endpoint> <object-path> <json>",
		Short: "Create an object instance, e.g. create dev /1 '{\"0\": 2, \"1\": 300, \"7\": \"U\"}'",
		Args:  exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := o.query()
			if err != nil {
				return err
			}
			if !json.Valid([]byte(args[2])) {
				return usageError{fmt.Errorf("%q is not JSON", args[2])}
			}
			m := map[string]any{"value": json.RawMessage(args[2])}
			if cmd.Flags().Changed("id") {
				m["id"] = id
			}
			body, err := jsonBody(m)
			if err != nil {
				return err
			}
			return a.runOp(cmd, request{method: http.MethodPost, path: opPath("lwm2m", args[0], args[1]), query: q, body: body})
		},
	}
	o.add(cmd)
	cmd.Flags().IntVar(&id, "id", 0, "the new instance's id (default: the device chooses)")
	return cmd
}

func (a *app) attributesCmd() *cobra.Command {
	var o opFlags
	cmd := &cobra.Command{
		Use:   "attributes <endpoint> [<path> name=value|name ...]",
		Short: "With a path: write notification attributes (pmin=10 gt=20.5; a bare name clears it). Without: the device's latest values",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return a.latestValues(cmd, args[0])
			}
			if len(args) < 3 {
				return usageError{fmt.Errorf("give attributes to write, e.g. pmin=10 pmax=60 (a bare name clears one)")}
			}
			q, err := o.query()
			if err != nil {
				return err
			}
			for _, kv := range args[2:] {
				k, v, _ := strings.Cut(kv, "=")
				q.Set(k, v)
			}
			return a.runOp(cmd, request{method: http.MethodPut, path: opPath("attributes", args[0], args[1]), query: q})
		},
	}
	o.add(cmd)
	return cmd
}

func (a *app) compositeCmd(use, short, method, suffix string) *cobra.Command {
	var o opFlags
	cmd := &cobra.Command{
		Use:   use + " <endpoint> <path>...",
		Short: short,
		Args:  minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := o.query()
			if err != nil {
				return err
			}
			for _, p := range args[1:] {
				q.Add("path", p)
			}
			return a.runOp(cmd, request{method: method, path: "/api/v1/devices/" + esc(args[0]) + "/composite" + suffix, query: q})
		},
	}
	o.add(cmd)
	return cmd
}

func (a *app) writeCompositeCmd() *cobra.Command {
	var o opFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "write-composite <endpoint> <path>=<value>...",
		Short: "Write several resources at once, e.g. /3/0/14=+02 /3/0/15=Europe/Oslo",
		Args:  minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := o.query()
			if err != nil {
				return err
			}
			vals := map[string]json.RawMessage{}
			for _, kv := range args[1:] {
				p, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usageError{fmt.Errorf("%q: expected <path>=<value>", kv)}
				}
				if asJSON {
					if !json.Valid([]byte(v)) {
						return usageError{fmt.Errorf("%s: %q is not JSON", p, v)}
					}
					vals[p] = json.RawMessage(v)
				} else {
					vals[p], _ = json.Marshal(v)
				}
			}
			body, err := jsonBody(map[string]any{"values": vals})
			if err != nil {
				return err
			}
			return a.runOp(cmd, request{method: http.MethodPatch, path: "/api/v1/devices/" + esc(args[0]) + "/composite", query: q, body: body})
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "values are JSON")
	return cmd
}
