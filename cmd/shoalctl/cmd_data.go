package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) telemetryCmd() *cobra.Command {
	var keys []string
	var from, to, interval, agg string
	var limit int
	cmd := &cobra.Command{
		Use:   "telemetry <endpoint>",
		Short: "Show a device's time series (raw points, or downsampled with --interval and --agg)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if len(keys) > 0 {
				q.Set("keys", strings.Join(keys, ","))
			}
			setQ(q, "from", from)
			setQ(q, "to", to)
			setQ(q, "interval", interval)
			setQ(q, "agg", agg)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/devices/"+esc(args[0])+"/telemetry", q, &raw); err != nil {
				return err
			}
			type point struct {
				Time  *time.Time      `json:"time"`
				Type  string          `json:"type"`
				Value json.RawMessage `json:"value"`
				Count *int64          `json:"count"`
			}
			return showAs(a, raw, func(v struct {
				Series []struct {
					Key     string  `json:"key"`
					Points  []point `json:"points"`
					Buckets []point `json:"buckets"`
				} `json:"series"`
			}) *table {
				t := newTable("KEY", "TIME", "TYPE", "VALUE", "COUNT")
				for _, s := range v.Series {
					for _, p := range append(s.Points, s.Buckets...) {
						count := ""
						if p.Count != nil {
							count = num(*p.Count)
						}
						t.add(s.Key, ts(p.Time), p.Type, cell(p.Value), count)
					}
				}
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&keys, "keys", nil, "telemetry keys (default all)")
	f.StringVar(&from, "from", "", "RFC 3339, Unix seconds or -1h")
	f.StringVar(&to, "to", "", "RFC 3339, Unix seconds or -1h")
	f.StringVar(&interval, "interval", "", "downsampling interval, e.g. 5m")
	f.StringVar(&agg, "agg", "", "min, max, avg or last")
	f.IntVar(&limit, "limit", 0, "points or buckets")
	return cmd
}

// latestValues prints a device's latest resource values.
func (a *app) latestValues(cmd *cobra.Command, ep string) error {
	var raw json.RawMessage
	if err := a.api.getJSON(cmd.Context(), "/api/v1/devices/"+esc(ep)+"/attributes", nil, &raw); err != nil {
		return err
	}
	return showAs(a, raw, func(p page[struct {
		Path      string          `json:"path"`
		Key       string          `json:"key"`
		Type      string          `json:"type"`
		Value     json.RawMessage `json:"value"`
		UpdatedAt *time.Time      `json:"updated_at"`
	}]) *table {
		t := newTable("PATH", "KEY", "TYPE", "VALUE", "UPDATED")
		for _, v := range p.Items {
			t.add(v.Path, v.Key, v.Type, cell(v.Value), ts(v.UpdatedAt))
		}
		return t
	})
}

type eventView struct {
	ID       int64           `json:"id"`
	Time     *time.Time      `json:"time"`
	Endpoint string          `json:"endpoint"`
	Category string          `json:"category"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
}

func (a *app) eventsCmd() *cobra.Command {
	var device, from, to, cursor string
	var types, categories []string
	var follow bool
	var limit int
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the event log, newest first, or follow live events with --follow",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setQ(q, "device", device)
			for _, t := range types {
				q.Add("type", t)
			}
			for _, c := range categories {
				q.Add("category", c)
			}
			if follow {
				return a.follow(cmd.Context(), q)
			}
			setQ(q, "from", from)
			setQ(q, "to", to)
			setQ(q, "cursor", cursor)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/events", q, &raw); err != nil {
				return err
			}
			return showAs(a, raw, func(p page[eventView]) *table {
				t := newTable("ID", "TIME", "ENDPOINT", "CATEGORY", "TYPE", "DATA")
				for _, e := range p.Items {
					t.add(num(e.ID), ts(e.Time), e.Endpoint, e.Category, e.Type, cell(e.Data))
				}
				pageFooter(t, p)
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&device, "device", "", "endpoint")
	f.StringSliceVar(&types, "type", nil, "event types")
	f.StringSliceVar(&categories, "category", nil, "registration, operation, security, audit, alarm, firmware, telemetry")
	f.BoolVarP(&follow, "follow", "f", false, "stream live events until interrupted (reconnects, resuming after the last event)")
	f.StringVar(&from, "from", "", "RFC 3339, Unix seconds or -1h")
	f.StringVar(&to, "to", "", "RFC 3339, Unix seconds or -1h")
	f.StringVar(&cursor, "cursor", "", "next page cursor")
	f.IntVar(&limit, "limit", 0, "page size")
	return cmd
}

// follow prints live events until ctx ends, reconnecting with
// Last-Event-ID when the stream breaks.
func (a *app) follow(ctx context.Context, q url.Values) error {
	last := ""
	backoff := time.Second
	for {
		h := http.Header{}
		if last != "" {
			h.Set("Last-Event-ID", last)
		}
		resp, err := a.api.send(ctx, request{method: http.MethodGet, path: "/api/v1/events", query: q,
			accept: "text/event-stream", header: h})
		if ctx.Err() != nil {
			return nil
		}
		var pe *problemError
		if errors.As(err, &pe) && pe.Status < 500 {
			return err
		}
		if err == nil {
			backoff = time.Second
			err = a.readStream(resp, &last)
			resp.Body.Close()
			if ctx.Err() != nil {
				return nil
			}
		}
		fmt.Fprintf(a.err, "shoalctl: event stream interrupted (%v); reconnecting in %v\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// readStream prints the events of one SSE connection.
func (a *app) readStream(resp *http.Response, last *string) error {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id, name, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(line[3:])
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(line[6:])
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(line[5:], " ")
		case line == "":
			if data != "" {
				if id != "" {
					*last = id
				}
				a.printLive(name, data)
			}
			id, name, data = "", "", ""
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("the server closed the stream")
}

func (a *app) printLive(name, data string) {
	if a.cfg.Output == "json" {
		if name == "dropped" {
			fmt.Fprintf(a.out, "{\"dropped\":%s}\n", data)
			return
		}
		fmt.Fprintln(a.out, data)
		return
	}
	if name == "dropped" {
		fmt.Fprintf(a.out, "-- events were dropped: %s\n", data)
		return
	}
	var e eventView
	if json.Unmarshal([]byte(data), &e) != nil {
		fmt.Fprintln(a.out, data)
		return
	}
	fmt.Fprintf(a.out, "%s  %-20s  %-12s  %-16s  %s\n", ts(e.Time), e.Endpoint, e.Category, e.Type, cell(e.Data))
}
