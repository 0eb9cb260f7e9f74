package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

func commandsTable(p page[commandView]) *table {
	t := newTable("ID", "ENDPOINT", "OP", "PATH", "STATE", "ATTEMPTS", "CREATED", "EXPIRES", "RESULT")
	for _, c := range p.Items {
		res := c.Error
		if c.Result != nil {
			res = c.Result.Code
		}
		t.add(num(c.ID), c.Endpoint, c.Op, c.target(), c.State, strconv.Itoa(c.Attempts), ts(c.CreatedAt), ts(c.ExpiresAt), res)
	}
	pageFooter(t, p)
	return t
}

func commandFields(c commandView) *table {
	t := fields("id", num(c.ID), "endpoint", c.Endpoint, "op", c.Op, "path", c.target(), "state", c.State,
		"attempts", strconv.Itoa(c.Attempts), "created", ts(c.CreatedAt), "expires", ts(c.ExpiresAt), "error", c.Error)
	if c.Result != nil {
		t.add("CODE:", c.Result.Code)
		if rt, err := resultTable(*c.Result); err == nil && len(rt.rows) > 0 {
			t.add("")
			t.rows = append(t.rows, append([][]string{rt.header}, rt.rows...)...)
		}
	}
	return t
}

func (a *app) commandsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "commands", Aliases: []string{"command", "cmd"}, Short: "List, show, cancel and send commands", RunE: groupRun}
	cmd.AddCommand(a.commandsList(), a.commandsGet(), a.commandsCancel(), a.commandsSend())
	return cmd
}

func (a *app) commandsList() *cobra.Command {
	var device, cursor string
	var states []string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List commands",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setQ(q, "device", device)
			setQ(q, "cursor", cursor)
			for _, s := range states {
				q.Add("state", s)
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/commands", q, &raw); err != nil {
				return err
			}
			return showAs(a, raw, commandsTable)
		},
	}
	f := cmd.Flags()
	f.StringVar(&device, "device", "", "endpoint")
	f.StringSliceVar(&states, "state", nil, "pending, sent, succeeded, failed, expired, cancelled")
	f.StringVar(&cursor, "cursor", "", "next page cursor")
	f.IntVar(&limit, "limit", 0, "page size")
	return cmd
}

func (a *app) commandByID(use, short, method string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " <id>",
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw json.RawMessage
			if _, err := a.api.do(cmd.Context(), request{method: method, path: "/api/v1/commands/" + esc(args[0])}, &raw); err != nil {
				return err
			}
			return showAs(a, raw, commandFields)
		},
	}
}

func (a *app) commandsGet() *cobra.Command {
	return a.commandByID("get", "Show a command and its result", http.MethodGet)
}

func (a *app) commandsCancel() *cobra.Command {
	return a.commandByID("cancel", "Cancel a pending command", http.MethodDelete)
}

func (a *app) commandsSend() *cobra.Command {
	var op, path, format, value, args, timeout, wait, expiry, profile string
	var paths, endpoints, labels []string
	var queue, noQueue bool
	var attempts int
	cmd := &cobra.Command{
		Use:   "send [endpoint] --op <op> [--path <path>]",
		Short: "Send any operation to one device, or (without an endpoint) queue it for a selection (--endpoints, --label, --profile)",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if queue && noQueue {
				return usageError{fmt.Errorf("--queue and --no-queue exclude each other")}
			}
			body := map[string]any{"op": op}
			setB(body, "path", path)
			setB(body, "format", format)
			setB(body, "args", args)
			setB(body, "timeout", timeout)
			setB(body, "wait", wait)
			setB(body, "expiry", expiry)
			if len(paths) > 0 {
				body["paths"] = paths
			}
			if value != "" {
				if !json.Valid([]byte(value)) {
					b, _ := json.Marshal(value)
					value = string(b)
				}
				body["value"] = json.RawMessage(value)
			}
			if attempts > 0 {
				body["max_attempts"] = attempts
			}
			if queue || noQueue {
				body["queue"] = queue
			}
			path := "/api/v1/commands"
			if len(argv) == 1 {
				if len(endpoints) > 0 || len(labels) > 0 || profile != "" {
					return usageError{fmt.Errorf("give an endpoint or a selection, not both")}
				}
				path = "/api/v1/devices/" + esc(argv[0]) + "/commands"
				return a.runOp(cmd, request{method: http.MethodPost, path: path, body: mustJSON(body)})
			}
			ls, err := labelMap(labels)
			if err != nil {
				return err
			}
			sel := map[string]any{}
			if len(endpoints) > 0 {
				sel["endpoints"] = endpoints
			}
			if ls != nil {
				sel["labels"] = ls
			}
			setB(sel, "profile", profile)
			body["selection"] = sel
			var raw json.RawMessage
			if _, err := a.api.sendJSON(cmd.Context(), http.MethodPost, path, nil, body, &raw); err != nil {
				return err
			}
			return showAs(a, raw, commandsTable)
		},
	}
	f := cmd.Flags()
	f.StringVar(&op, "op", "", "read, write, write-update, execute, create, delete, discover, write-attributes, observe, cancel-observe, read-composite, write-composite, observe-composite, cancel-observe-composite")
	f.StringVar(&path, "path", "", "target path")
	f.StringSliceVar(&paths, "paths", nil, "composite targets")
	f.StringVar(&format, "format", "", "content format")
	f.StringVar(&value, "value", "", "value to write (JSON, or text)")
	f.StringVar(&args, "args", "", "execute arguments")
	f.StringVar(&timeout, "timeout", "", "device answer timeout")
	f.StringVar(&wait, "wait", "", "wait for a queued command's answer")
	f.StringVar(&expiry, "expiry", "", "queued command lifetime")
	f.IntVar(&attempts, "attempts", 0, "delivery attempts")
	f.BoolVar(&queue, "queue", false, "always queue")
	f.BoolVar(&noQueue, "no-queue", false, "never queue")
	f.StringSliceVar(&endpoints, "endpoints", nil, "selection: endpoints")
	f.StringArrayVarP(&labels, "label", "l", nil, "selection: name=value (repeatable)")
	f.StringVar(&profile, "profile", "", "selection: profile name or id")
	_ = cmd.MarkFlagRequired("op")
	return cmd
}

// mustJSON encodes a body built from plain maps (which always encode).
func mustJSON(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
