package main

import (
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

// campaignStates are a campaign device's states in the order of its
// progress; doneStates are final.
var (
	campaignStates = []string{"pending", "downloading", "downloaded", "updating", "succeeded", "failed", "cancelled", "skipped"}
	doneStates     = []string{"succeeded", "failed", "cancelled", "skipped"}
	campDevCols    = []col{{"DEVICE", "endpoint"}, {"STATE", "state"}, {"METHOD", "method"}, {"ATTEMPTS", "attempts"}, {"WAVE", "wave"},
		{"FROM", "from_version"}, {"TO", "to_version"}, {"REASON", "reason"}, {"DETAIL", "detail"}, {"UPDATED", "updated_at"}}
)

// campaignView is what the commands read of a campaign.
type campaignView struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	State       string `json:"state"`
	StateReason string `json:"state_reason"`
	Concurrency int    `json:"concurrency"`
	Threshold   int    `json:"failure_threshold"`
	Method      string `json:"method"`
	Waves       []int  `json:"waves"`
	Wave        int    `json:"wave"`
	Image       struct {
		ID      int64  `json:"id"`
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"image"`
	Counts     map[string]int64 `json:"counts"`
	Total      int64            `json:"total"`
	StartAfter *time.Time       `json:"start_after"`
	StopAfter  *time.Time       `json:"stop_after"`
	StartedAt  *time.Time       `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at"`
	CreatedAt  *time.Time       `json:"created_at"`
}

// done counts the devices in a final state.
func (c campaignView) done() int64 {
	var n int64
	for _, s := range doneStates {
		n += c.Counts[s]
	}
	return n
}

// finished reports whether the campaign will change no more.
func (c campaignView) finished() bool { return c.State == "completed" || c.State == "cancelled" }

// countsText lists the non-zero counts in state order.
func (c campaignView) countsText() string {
	var parts []string
	for _, s := range campaignStates {
		if n := c.Counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	if len(parts) == 0 {
		return "no devices"
	}
	return strings.Join(parts, ", ")
}

func (c campaignView) pct() int {
	if c.Total == 0 {
		return 100
	}
	return int(c.done() * 100 / c.Total)
}

func (a *app) campaignCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "campaign", Aliases: []string{"campaigns"}, Short: "Firmware campaigns: create, list, status, devices, start, pause, resume, cancel, delete",
		RunE: groupRun}
	var lf listFlags
	list := &cobra.Command{Use: "list", Short: "List campaigns with their progress", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			lf.query(q)
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/campaigns", q, &raw); err != nil {
				return err
			}
			return showAs(a, raw, func(p page[campaignView]) *table {
				t := newTable("ID", "NAME", "STATE", "IMAGE", "VERSION", "DONE", "FAILED", "PROGRESS")
				for _, c := range p.Items {
					t.add(num(c.ID), c.Name, c.State, num(c.Image.ID), c.Image.Version, fmt.Sprintf("%d/%d", c.done(), c.Total),
						num(c.Counts["failed"]), fmt.Sprintf("%d%%", c.pct()))
				}
				pageFooter(t, p)
				return t
			})
		}}
	lf.add(list)
	var dlf listFlags
	var states []string
	devices := &cobra.Command{Use: "devices ID", Short: "List a campaign's devices with their state and failure reasons", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg("campaign", args[0])
			if err != nil {
				return err
			}
			q := url.Values{}
			dlf.query(q)
			for _, s := range states {
				if !contains(campaignStates, s) {
					return usageError{fmt.Errorf("--state %q: want one of %s", s, strings.Join(campaignStates, ", "))}
				}
				q.Add("state", s)
			}
			return a.list(cmd.Context(), "/api/v1/campaigns/"+id+"/devices", q, campDevCols)
		}}
	dlf.add(devices)
	devices.Flags().StringSliceVar(&states, "state", nil, "only devices in these states (repeatable or comma-separated)")
	del := &cobra.Command{Use: "delete ID", Short: "Delete a draft or finished campaign", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg("campaign", args[0])
			if err != nil {
				return err
			}
			return a.remove(cmd.Context(), "/api/v1/campaigns/"+id, nil, "deleted campaign "+id)
		}}
	cmd.AddCommand(a.campaignCreateCmd(), list, a.campaignStatusCmd(), devices, del)
	for _, v := range []struct{ verb, short string }{
		{"start", "Start a draft campaign"},
		{"pause", "Pause a running campaign (updates under way finish)"},
		{"resume", "Resume a paused campaign"},
		{"cancel", "Cancel a campaign (devices not started and downloads under way are cancelled)"},
	} {
		cmd.AddCommand(&cobra.Command{Use: v.verb + " ID", Short: v.short, Args: exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := idArg("campaign", args[0])
				if err != nil {
					return err
				}
				var c campaignView
				raw, err := a.campaignPost(cmd.Context(), "/api/v1/campaigns/"+id+"/"+v.verb, nil, &c)
				if err != nil {
					return err
				}
				return a.showCampaign(raw, c)
			}})
	}
	return cmd
}

// campaignPost POSTs body and decodes the campaign view answered.
func (a *app) campaignPost(ctx context.Context, path string, body any, c *campaignView) (json.RawMessage, error) {
	var raw json.RawMessage
	if _, err := a.api.sendJSON(ctx, http.MethodPost, path, nil, body, &raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("the server's answer is not a campaign: %v", err)
	}
	return raw, nil
}

// showCampaign prints a campaign: JSON, or its fields and progress.
func (a *app) showCampaign(raw json.RawMessage, c campaignView) error {
	return a.show(raw, func(json.RawMessage) (*table, error) {
		waves := ""
		if len(c.Waves) > 0 {
			waves = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(c.Waves)), ","), "[]") + fmt.Sprintf(" (under way: %d)", c.Wave)
		}
		t := fields("id", num(c.ID), "name", c.Name, "state", c.State, "reason", c.StateReason,
			"image", fmt.Sprintf("%d (%s %s)", c.Image.ID, c.Image.Name, c.Image.Version), "method", c.Method,
			"concurrency", strconv.Itoa(c.Concurrency), "failure threshold", strconv.Itoa(c.Threshold), "waves", waves,
			"start after", ts(c.StartAfter), "stop after", ts(c.StopAfter), "started", ts(c.StartedAt), "finished", ts(c.FinishedAt),
			"progress", fmt.Sprintf("%s %d%% (%d of %d done)", bar(c.pct(), 30), c.pct(), c.done(), c.Total))
		for _, s := range campaignStates {
			t.add(strings.ToUpper(s)+":", num(c.Counts[s]))
		}
		return t, nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (a *app) campaignCreateCmd() *cobra.Command {
	var (
		name, image, profile, customer, method, startAfter, stopAfter string
		labels, endpoints                                             []string
		ids                                                           []int64
		waves                                                         []int
		asset                                                         int64
		concurrency, threshold, attempts                              int
		waveDelay                                                     time.Duration
		draft                                                         bool
	)
	cmd := &cobra.Command{Use: "create [NAME]", Short: "Create a firmware campaign over a selection of devices (it starts at once unless --draft)",
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if image == "" {
				return usageError{errors.New("--image is required: the id of an uploaded image (shoalctl firmware list)")}
			}
			if _, err := idArg("image", image); err != nil {
				return err
			}
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				name = "image " + image + " rollout"
			}
			sel := map[string]any{}
			lm, err := labelMap(labels)
			if err != nil {
				return err
			}
			if lm != nil {
				sel["labels"] = lm
			}
			if len(ids) > 0 {
				sel["ids"] = ids
			}
			if len(endpoints) > 0 {
				sel["endpoints"] = endpoints
			}
			setB(sel, "profile", profile)
			if asset != 0 {
				sel["asset"] = asset
			}
			if customer != "" {
				cid, err := a.customerID(cmd.Context(), customer)
				if err != nil {
					return err
				}
				sel["customer"] = cid
			}
			if len(sel) == 0 {
				return usageError{errors.New("select devices: --ids, --endpoints, --labels, --profile, --customer or --asset")}
			}
			imgID, _ := strconv.ParseInt(image, 10, 64)
			body := map[string]any{"name": name, "image_id": imgID, "selection": sel, "draft": draft}
			if method != "" && method != "pull" && method != "push" {
				return usageError{fmt.Errorf("--method %q: want pull or push", method)}
			}
			setB(body, "method", method)
			setIf(cmd, body, "concurrency", "concurrency", concurrency)
			setIf(cmd, body, "failure-threshold", "failure_threshold", threshold)
			setIf(cmd, body, "max-attempts", "max_attempts", attempts)
			if len(waves) > 0 {
				body["waves"] = waves
			}
			if waveDelay != 0 {
				body["wave_delay"] = waveDelay.String()
			}
			for flag, v := range map[string]string{"start_after": startAfter, "stop_after": stopAfter} {
				if v == "" {
					continue
				}
				t, err := whenArg(v, time.Now())
				if err != nil {
					return usageError{fmt.Errorf("--%s: %v", strings.ReplaceAll(flag, "_", "-"), err)}
				}
				body[flag] = t.Format(time.RFC3339)
			}
			var c campaignView
			raw, err := a.campaignPost(cmd.Context(), "/api/v1/campaigns", body, &c)
			if err != nil {
				return err
			}
			return a.showCampaign(raw, c)
		}}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "the campaign's name (or the NAME argument; default \"image ID rollout\")")
	fl.StringVar(&image, "image", "", "the firmware image id; required")
	fl.StringSliceVar(&labels, "labels", nil, "devices with these labels, name=value (repeatable; every one must match)")
	fl.Int64SliceVar(&ids, "ids", nil, "device ids (comma-separated or repeated)")
	fl.StringSliceVar(&endpoints, "endpoints", nil, "device endpoints (comma-separated or repeated)")
	fl.StringVar(&profile, "profile", "", "devices of this profile (name or id)")
	fl.StringVar(&customer, "customer", "", "devices of this customer (name or id)")
	fl.Int64Var(&asset, "asset", 0, "devices of this asset (id)")
	fl.IntVar(&concurrency, "concurrency", 10, "devices updating at once")
	fl.IntVar(&threshold, "failure-threshold", 0, "pause once more devices than this failed (0: never)")
	fl.StringVar(&method, "method", "", "preferred delivery: pull or push (default: pull where the device can)")
	fl.IntSliceVar(&waves, "waves", nil, "sizes of the first waves, e.g. 10,50 (the rest form the last wave)")
	fl.DurationVar(&waveDelay, "wave-delay", 0, "pause between waves")
	fl.IntVar(&attempts, "max-attempts", 0, "attempts per device for retryable failures (0: the server's default)")
	fl.StringVar(&startAfter, "start-after", "", "start no device before: RFC 3339, or a duration from now (2h)")
	fl.StringVar(&stopAfter, "stop-after", "", "start no device after: RFC 3339, or a duration from now (48h)")
	fl.BoolVar(&draft, "draft", false, "create without starting (shoalctl campaign start ID)")
	return cmd
}

// whenArg parses RFC 3339 or a duration from now.
func whenArg(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d).Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-05-01T08:00:00Z) nor a duration (2h)", s)
}

// customerID resolves a customer name or id to its id.
func (a *app) customerID(ctx context.Context, ref string) (int64, error) {
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	var c struct {
		ID int64 `json:"id"`
	}
	if err := a.api.getJSON(ctx, "/api/v1/customers/"+esc(ref), nil, &c); err != nil {
		return 0, fmt.Errorf("--customer %q: %w", ref, err)
	}
	return c.ID, nil
}
