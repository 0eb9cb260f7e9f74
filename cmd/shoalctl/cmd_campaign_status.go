package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) campaignStatusCmd() *cobra.Command {
	var watch bool
	var every time.Duration
	cmd := &cobra.Command{Use: "status ID", Short: "Show a campaign's progress; --watch follows it until it is finished (or Ctrl-C)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg("campaign", args[0])
			if err != nil {
				return err
			}
			if every <= 0 {
				return usageError{fmt.Errorf("--interval %v: want a positive duration", every)}
			}
			if !watch {
				raw, c, err := a.campaign(cmd.Context(), id)
				if err != nil {
					return err
				}
				return a.showCampaign(raw, c)
			}
			return a.watchCampaign(cmd.Context(), id, every)
		}}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the campaign: a live view on a terminal, otherwise one line per change")
	cmd.Flags().DurationVar(&every, "interval", time.Second, "how often --watch asks the server")
	return cmd
}

// campaign GETs a campaign.
func (a *app) campaign(ctx context.Context, id string) (json.RawMessage, campaignView, error) {
	var raw json.RawMessage
	var c campaignView
	if err := a.api.getJSON(ctx, "/api/v1/campaigns/"+id, nil, &raw); err != nil {
		return nil, c, err
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, c, fmt.Errorf("the server's answer is not a campaign: %v", err)
	}
	return raw, c, nil
}

// watchCampaign polls a campaign every interval until it is finished or
// ctx ends (Ctrl-C, which is no error). On a terminal the view is redrawn
// in place; otherwise — or with -o json — a line is printed whenever the
// state or a count changed.
func (a *app) watchCampaign(ctx context.Context, id string, every time.Duration) error {
	tty := isTerminal(a.out) && a.cfg.Output != "json"
	var last string
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		raw, c, err := a.campaign(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		switch {
		case tty:
			var buf bytes.Buffer
			saved := a.out
			a.out = &buf
			err = a.showCampaign(raw, c)
			a.out = saved
			if err != nil {
				return err
			}
			// Home, clear, then the view: a live screen.
			fmt.Fprintf(a.out, "\x1b[H\x1b[2J%s(refreshing every %v; Ctrl-C to stop)\n", buf.String(), every)
		case a.cfg.Output == "json":
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return err
			}
			if line := c.State + " " + c.countsText(); line != last {
				last = line
				fmt.Fprintln(a.out, buf.String())
			}
		default:
			if line := watchLine(c); line != last {
				last = line
				fmt.Fprintf(a.out, "%s %s\n", time.Now().Format(time.TimeOnly), line)
			}
		}
		if c.finished() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// watchLine is one campaign's progress on a line.
func watchLine(c campaignView) string {
	line := fmt.Sprintf("%s %s %3d%% %d/%d done: %s", c.State, bar(c.pct(), 20), c.pct(), c.done(), c.Total, c.countsText())
	if c.StateReason != "" {
		line += " (" + c.StateReason + ")"
	}
	return line
}
