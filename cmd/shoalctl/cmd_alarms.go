package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"
)

var (
	alarmCols = []col{{"ID", "id"}, {"STARTED", "started_at"}, {"ENDPOINT", "endpoint"}, {"TYPE", "type"}, {"SEVERITY", "severity"},
		{"STATE", "state"}, {"COUNT", "count"}, {"MESSAGE", "message"}}
	alarmKeys = []string{"id", "endpoint", "device_id", "customer_id", "rule", "type", "severity", "state", "message", "details", "count",
		"started_at", "updated_at", "acked_at", "acked_by", "cleared_at"}
	ruleCols = []col{{"ID", "id"}, {"NAME", "name"}, {"KIND", "spec.kind"}, {"SEVERITY", "severity"}, {"PROFILE", "profile_id"},
		{"DEVICE", "device_id"}, {"DISABLED", "disabled"}, {"SPEC", "spec"}}
	ruleKeys    = []string{"id", "name", "severity", "profile_id", "device_id", "disabled", "spec", "created_at", "updated_at"}
	webhookCols = []col{{"ID", "id"}, {"NAME", "name"}, {"URL", "url"}, {"EVENTS", "event_types"}, {"ALARMS", "alarm_types"},
		{"CUSTOMER", "customer_id"}, {"DISABLED", "disabled"}}
	webhookKeys  = []string{"id", "name", "url", "event_types", "alarm_types", "customer_id", "disabled", "created_at", "updated_at"}
	deliveryCols = []col{{"ID", "id"}, {"EVENT", "event_id"}, {"TYPE", "event_type"}, {"STATE", "state"}, {"ATTEMPTS", "attempts"},
		{"STATUS", "status_code"}, {"ERROR", "error"}, {"NEXT", "next_attempt_at"}, {"UPDATED", "updated_at"}}
)

// alarmCmds are the alarms, alarm-rules and webhooks commands.
func (a *app) alarmCmds() []*cobra.Command {
	return []*cobra.Command{a.alarmsCmd(), a.alarmRulesCmd(), a.webhooksCmd()}
}

func (a *app) alarmsCmd() *cobra.Command {
	const base = "/api/v1/alarms"
	var lf listFlags
	var states, severities []string
	var device, rule string
	var follow bool
	listRun := func(cmd *cobra.Command, _ []string) error {
		if follow {
			q := url.Values{"category": {"alarm"}}
			setQ(q, "device", device)
			return a.follow(cmd.Context(), q)
		}
		q := url.Values{}
		for _, s := range states {
			q.Add("state", s)
		}
		for _, s := range severities {
			q.Add("severity", s)
		}
		setQ(q, "device", device)
		setQ(q, "rule", rule)
		lf.query(q)
		return a.list(cmd.Context(), base, q, alarmCols)
	}
	flags := func(c *cobra.Command) {
		lf.add(c)
		f := c.Flags()
		f.StringSliceVar(&states, "state", nil, "active, acknowledged, cleared")
		f.StringSliceVar(&severities, "severity", nil, "critical, major, minor, warning, info")
		f.StringVar(&device, "device", "", "endpoint")
		f.StringVar(&rule, "rule", "", "alarm rule id")
		f.BoolVarP(&follow, "follow", "f", false, "stream alarm changes live until interrupted")
	}
	cmd := &cobra.Command{Use: "alarms", Aliases: []string{"alarm"}, Short: "List, follow, acknowledge and clear alarms",
		Long: "Without a subcommand: list alarms, newest first, or follow their changes live with --follow.", Args: noArgs, RunE: listRun}
	flags(cmd)
	list := &cobra.Command{Use: "list", Short: "List alarms, newest first (--follow: live changes)", Args: noArgs, RunE: listRun}
	flags(list)
	one := func(use, short, suffix, method string) *cobra.Command {
		return &cobra.Command{Use: use + " <id>", Short: short, Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			if method == http.MethodGet {
				return a.get(cmd.Context(), base+"/"+esc(args[0]), alarmKeys)
			}
			return a.write(cmd.Context(), method, base+"/"+esc(args[0])+suffix, nil, "", alarmKeys)
		}}
	}
	cmd.AddCommand(list, one("get", "Show an alarm", "", http.MethodGet), one("ack", "Acknowledge an alarm", "/ack", http.MethodPost),
		one("clear", "Clear an alarm", "/clear", http.MethodPost))
	return cmd
}

func (a *app) alarmRulesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "alarm-rules", Aliases: []string{"rules"}, Short: "Manage alarm rules (admin, operator)", RunE: groupRun}
	const base = "/api/v1/alarm-rules"
	var lf listFlags
	var profile, device, kind, severity, key, forDur, window, file string
	var above, below float64
	var count int
	var disabled bool
	list := &cobra.Command{Use: "list", Short: "List alarm rules", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setQ(q, "profile", profile)
		setQ(q, "device", device)
		setQ(q, "kind", kind)
		lf.query(q)
		return a.list(cmd.Context(), base, q, ruleCols)
	}}
	lf.add(list)
	list.Flags().StringVar(&profile, "profile", "", "profile name or id")
	list.Flags().StringVar(&device, "device", "", "endpoint")
	list.Flags().StringVar(&kind, "kind", "", "threshold, offline, firmware-failed or auth-failures")
	get := &cobra.Command{Use: "get <id>", Short: "Show an alarm rule", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), ruleKeys)
	}}
	body := func(cmd *cobra.Command, name string) (any, error) {
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, usageError{err}
			}
			if !json.Valid(b) {
				return nil, usageError{fmt.Errorf("%s is not JSON", file)}
			}
			return json.RawMessage(b), nil
		}
		spec := map[string]any{"kind": kind}
		setB(spec, "key", key)
		setIf(cmd, spec, "above", "above", above)
		setIf(cmd, spec, "below", "below", below)
		setB(spec, "for", forDur)
		setIf(cmd, spec, "count", "count", count)
		setB(spec, "window", window)
		b := map[string]any{"name": name, "severity": severity, "disabled": disabled, "spec": spec}
		setB(b, "profile", profile)
		setB(b, "device", device)
		return b, nil
	}
	create := &cobra.Command{Use: "create <name>", Short: "Create an alarm rule, e.g. create low --kind threshold --key battery --below 20 --severity major",
		Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			b, err := body(cmd, args[0])
			if err != nil {
				return err
			}
			return a.write(cmd.Context(), http.MethodPost, base, b, "", ruleKeys)
		}}
	update := &cobra.Command{Use: "update <id> <name>", Short: "Replace an alarm rule", Args: exactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
		if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
			return usageError{fmt.Errorf("%q is not a rule id", args[0])}
		}
		b, err := body(cmd, args[1])
		if err != nil {
			return err
		}
		return a.write(cmd.Context(), http.MethodPut, base+"/"+esc(args[0]), b, "", ruleKeys)
	}}
	for _, c := range []*cobra.Command{create, update} {
		f := c.Flags()
		f.StringVar(&kind, "kind", "", "threshold, offline, firmware-failed or auth-failures")
		f.StringVar(&severity, "severity", "major", "critical, major, minor, warning or info")
		f.StringVar(&profile, "profile", "", "attach to a profile's devices (name or id)")
		f.StringVar(&device, "device", "", "attach to one device (endpoint)")
		f.StringVar(&key, "key", "", "threshold: telemetry key")
		f.Float64Var(&above, "above", 0, "threshold: raise above this value")
		f.Float64Var(&below, "below", 0, "threshold: raise below this value")
		f.StringVar(&forDur, "for", "", "threshold: how long beyond; offline: how long offline (e.g. 10m)")
		f.IntVar(&count, "count", 0, "auth-failures: failures that raise it")
		f.StringVar(&window, "window", "", "auth-failures: within this time (e.g. 5m)")
		f.BoolVar(&disabled, "disabled", false, "store the rule without applying it")
		f.StringVarP(&file, "file", "f", "", "the rule as a JSON file instead of flags")
	}
	del := &cobra.Command{Use: "delete <id>", Short: "Delete an alarm rule (clears the alarms it left open)", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted alarm rule "+args[0])
	}}
	cmd.AddCommand(list, get, create, update, del)
	return cmd
}

func (a *app) webhooksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Aliases: []string{"webhook"}, Short: "Manage webhook channels and read their delivery logs", RunE: groupRun}
	const base = "/api/v1/webhooks"
	var lf, dlf listFlags
	var name, secret, customer, url2 string
	var events, alarmTypes, states []string
	var disabled bool
	list := &cobra.Command{Use: "list", Short: "List webhook channels", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		lf.query(q)
		return a.list(cmd.Context(), base, q, webhookCols)
	}}
	lf.add(list)
	get := &cobra.Command{Use: "get <id>", Short: "Show a webhook channel", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), webhookKeys)
	}}
	body := func(cmd *cobra.Command) map[string]any {
		b := map[string]any{}
		setIf(cmd, b, "name", "name", name)
		setIf(cmd, b, "secret", "secret", secret)
		setIf(cmd, b, "event", "event_types", events)
		setIf(cmd, b, "alarm-type", "alarm_types", alarmTypes)
		setIf(cmd, b, "disabled", "disabled", disabled)
		setIf(cmd, b, "url", "url", url2)
		return b
	}
	create := &cobra.Command{Use: "create <url>", Short: "Create a webhook channel; a generated secret is printed this once", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b := body(cmd)
			b["url"] = args[0]
			b["event_types"] = events
			if customer != "" {
				n, err := strconv.ParseInt(customer, 10, 64)
				if err != nil || n <= 0 {
					return usageError{fmt.Errorf("--customer %q is not a customer id", customer)}
				}
				b["customer"] = n
			}
			return a.write(cmd.Context(), http.MethodPost, base, b, "webhook", webhookKeys)
		}}
	create.Flags().StringVar(&customer, "customer", "", "customer id: the channel gets only that customer's events")
	update := &cobra.Command{Use: "update <id>", Short: "Change a webhook channel (--event and --alarm-type replace the lists)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.write(cmd.Context(), http.MethodPatch, base+"/"+esc(args[0]), body(cmd), "", webhookKeys)
		}}
	update.Flags().StringVar(&url2, "url", "", "new URL")
	for _, c := range []*cobra.Command{create, update} {
		f := c.Flags()
		f.StringVar(&name, "name", "", "a name")
		f.StringVar(&secret, "secret", "", "HMAC key, 16 to 256 bytes (generated when left out)")
		f.StringSliceVar(&events, "event", []string{"*"}, "event types to deliver, e.g. alarm.raised,alarm.cleared (\"*\": all)")
		f.StringSliceVar(&alarmTypes, "alarm-type", nil, "only these alarm types: threshold, offline, firmware-failed, auth-failures")
		f.BoolVar(&disabled, "disabled", false, "deliver nothing while set")
	}
	del := &cobra.Command{Use: "delete <id>", Short: "Delete a webhook channel and its delivery log", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted webhook "+args[0])
	}}
	deliveries := &cobra.Command{Use: "deliveries <id>", Short: "The channel's delivery log, newest first", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		q := url.Values{}
		for _, s := range states {
			q.Add("state", s)
		}
		dlf.query(q)
		return a.list(cmd.Context(), base+"/"+esc(args[0])+"/deliveries", q, deliveryCols)
	}}
	dlf.add(deliveries)
	deliveries.Flags().StringSliceVar(&states, "state", nil, "pending, succeeded, failed")
	cmd.AddCommand(list, get, create, update, del, deliveries)
	return cmd
}
