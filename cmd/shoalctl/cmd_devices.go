package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type deviceView struct {
	ID           int64             `json:"id"`
	Endpoint     string            `json:"endpoint"`
	Name         string            `json:"name"`
	Profile      string            `json:"profile"`
	CustomerID   int64             `json:"customer_id"`
	Labels       map[string]string `json:"labels"`
	Status       string            `json:"status"`
	LastSeen     *time.Time        `json:"last_seen"`
	Info         *deviceInfoView   `json:"info"`
	Registration *struct {
		Version   string     `json:"lwm2m_version"`
		Binding   string     `json:"binding"`
		Lifetime  int64      `json:"lifetime"`
		Address   string     `json:"address"`
		Transport string     `json:"transport"`
		Security  string     `json:"security"`
		ExpiresAt *time.Time `json:"expires_at"`
	} `json:"registration"`
	CreatedAt *time.Time `json:"created_at"`
}

type deviceInfoView struct {
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Serial       string `json:"serial"`
	Firmware     string `json:"firmware"`
	Battery      *int64 `json:"battery"`
}

type page[T any] struct {
	Items []T    `json:"items"`
	Total int64  `json:"total"`
	Next  string `json:"next"`
}

// pageFooter notes more pages under a table.
func pageFooter[T any](t *table, p page[T]) {
	if p.Next != "" {
		t.add("")
		t.add(fmt.Sprintf("(%d of %d; next page: --cursor %s)", len(p.Items), p.Total, p.Next))
	}
}

func deviceFields(d deviceView) *table {
	t := fields("endpoint", d.Endpoint, "id", num(d.ID), "name", d.Name, "status", d.Status, "profile", d.Profile,
		"labels", labelText(d.Labels), "last seen", ts(d.LastSeen), "created", ts(d.CreatedAt))
	if i := d.Info; i != nil {
		bat := ""
		if i.Battery != nil {
			bat = fmt.Sprintf("%d%%", *i.Battery)
		}
		t.rows = append(t.rows, fields("manufacturer", i.Manufacturer, "model", i.Model, "serial", i.Serial,
			"firmware", i.Firmware, "battery", bat).rows...)
	}
	if r := d.Registration; r != nil {
		t.rows = append(t.rows, fields("lwm2m", r.Version, "binding", r.Binding, "lifetime", fmt.Sprintf("%ds", r.Lifetime),
			"address", r.Address, "transport", strings.Trim(r.Transport+"/"+r.Security, "/"), "expires", ts(r.ExpiresAt)).rows...)
	}
	return t
}

func (a *app) devicesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "devices", Aliases: []string{"device", "dev"}, Short: "List, show, create, change, delete and import devices", RunE: groupRun}
	cmd.AddCommand(a.devicesList(), a.devicesGet(), a.devicesCreate(), a.devicesUpdate(), a.devicesDelete(), a.devicesImport())
	return cmd
}

func (a *app) devicesList() *cobra.Command {
	var status, labels []string
	var profile, search, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List devices",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for _, s := range status {
				q.Add("status", s)
			}
			for _, l := range labels {
				q.Add("label", l)
			}
			setQ(q, "profile", profile)
			setQ(q, "search", search)
			setQ(q, "cursor", cursor)
			if limit > 0 {
				q.Set("limit", fmt.Sprint(limit))
			}
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/devices", q, &raw); err != nil {
				return err
			}
			return showAs(a, raw, func(p page[deviceView]) *table {
				t := newTable("ENDPOINT", "NAME", "STATUS", "PROFILE", "LAST SEEN", "LABELS")
				for _, d := range p.Items {
					t.add(d.Endpoint, d.Name, d.Status, d.Profile, ts(d.LastSeen), labelText(d.Labels))
				}
				pageFooter(t, p)
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&status, "status", nil, "online, asleep, offline or never")
	f.StringArrayVarP(&labels, "label", "l", nil, "name=value (repeatable)")
	f.StringVar(&profile, "profile", "", "profile name or id")
	f.StringVar(&search, "search", "", "substring of endpoint or name")
	f.StringVar(&cursor, "cursor", "", "next page cursor")
	f.IntVar(&limit, "limit", 0, "page size")
	return cmd
}

func (a *app) devicesGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get <endpoint>",
		Short: "Show a device",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/devices/"+esc(args[0]), nil, &raw); err != nil {
				return err
			}
			return showAs(a, raw, deviceFields)
		},
	}
}

func (a *app) devicesCreate() *cobra.Command {
	var name, profile, customer, mode, identity, key, certFile string
	var labels []string
	cmd := &cobra.Command{
		Use:   "create <endpoint>",
		Short: "Create a device; a PSK left out is generated and shown once",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"endpoint": args[0]}
			setB(body, "name", name)
			setB(body, "profile", profile)
			setB(body, "customer", customer)
			ls, err := labelMap(labels)
			if err != nil {
				return err
			}
			if ls != nil {
				body["labels"] = ls
			}
			if mode != "" || identity != "" || key != "" || certFile != "" {
				cred := map[string]any{"mode": mode}
				if mode == "" {
					cred["mode"] = "psk"
					if certFile != "" {
						cred["mode"] = "x509"
					}
				}
				setB(cred, "psk_identity", identity)
				setB(cred, "psk_key", key)
				if certFile != "" {
					pem, err := os.ReadFile(certFile)
					if err != nil {
						return usageError{err}
					}
					cred["certificate"] = string(pem)
				}
				body["credentials"] = cred
			}
			var raw json.RawMessage
			if _, err := a.api.sendJSON(cmd.Context(), http.MethodPost, "/api/v1/devices", nil, body, &raw); err != nil {
				return err
			}
			return showAs(a, raw, func(c struct {
				Device     deviceView `json:"device"`
				Credential struct {
					Mode        string `json:"mode"`
					PSKIdentity string `json:"psk_identity"`
					Fingerprint string `json:"fingerprint"`
				} `json:"credential"`
				PSKKey string `json:"psk_key"`
			}) *table {
				t := deviceFields(c.Device)
				t.rows = append(t.rows, fields("security", c.Credential.Mode, "psk identity", c.Credential.PSKIdentity,
					"fingerprint", c.Credential.Fingerprint, "psk key", c.PSKKey).rows...)
				if c.PSKKey != "" {
					t.add("")
					t.add("(the generated PSK key is shown this once)")
				}
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "display name")
	f.StringVar(&profile, "profile", "", "profile name or id")
	f.StringVar(&customer, "customer", "", "customer name or id")
	f.StringArrayVarP(&labels, "label", "l", nil, "name=value (repeatable)")
	f.StringVar(&mode, "mode", "", "psk, x509 or nosec (default psk)")
	f.StringVar(&identity, "psk-identity", "", "PSK identity (default: the endpoint)")
	f.StringVar(&key, "psk-key", "", "PSK key in hex (default: generated)")
	f.StringVar(&certFile, "cert", "", "PEM certificate file (x509)")
	return cmd
}

func (a *app) devicesUpdate() *cobra.Command {
	var name, profile, customer string
	var labels []string
	var clearLabels bool
	cmd := &cobra.Command{
		Use:   "update <endpoint>",
		Short: "Change a device's name, profile, customer or labels (labels given replace all)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			f := cmd.Flags()
			for flag, v := range map[string]string{"name": name, "profile": profile, "customer": customer} {
				if f.Changed(flag) {
					body[flag] = v
				}
			}
			if f.Changed("label") || clearLabels {
				ls, err := labelMap(labels)
				if err != nil {
					return err
				}
				if ls == nil {
					ls = map[string]string{}
				}
				body["labels"] = ls
			}
			if len(body) == 0 {
				return usageError{fmt.Errorf("nothing to change: give --name, --profile, --customer, --label or --clear-labels")}
			}
			var raw json.RawMessage
			if _, err := a.api.sendJSON(cmd.Context(), http.MethodPatch, "/api/v1/devices/"+esc(args[0]), nil, body, &raw); err != nil {
				return err
			}
			return showAs(a, raw, deviceFields)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "display name")
	f.StringVar(&profile, "profile", "", "profile name or id (\"\" detaches)")
	f.StringVar(&customer, "customer", "", "customer name or id (\"\" detaches)")
	f.StringArrayVarP(&labels, "label", "l", nil, "name=value (repeatable; replaces all labels)")
	f.BoolVar(&clearLabels, "clear-labels", false, "remove every label")
	return cmd
}

func (a *app) devicesDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <endpoint>...",
		Short: "Delete devices (revokes credentials, disconnects, cancels queued commands)",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, ep := range args {
				if _, err := a.api.do(cmd.Context(), request{method: http.MethodDelete, path: "/api/v1/devices/" + esc(ep)}, nil); err != nil {
					return fmt.Errorf("%s: %w", ep, err)
				}
				if a.cfg.Output != "json" {
					fmt.Fprintf(a.out, "deleted %s\n", ep)
				}
			}
			return nil
		},
	}
}

func (a *app) devicesImport() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "import <file.csv|file.json|->",
		Short: "Create many devices from CSV or JSON; prints a report per row",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(a.in)
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return usageError{err}
			}
			if format == "" {
				format = "csv"
				if strings.EqualFold(filepath.Ext(args[0]), ".json") || strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
					format = "json"
				}
			}
			ct := map[string]string{"csv": "text/csv", "json": "application/json"}[format]
			if ct == "" {
				return usageError{fmt.Errorf("--format %q: csv or json", format)}
			}
			resp, err := a.api.send(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/devices/import",
				body: strings.NewReader(string(data)), contentType: ct})
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			type report struct {
				Created int `json:"created"`
				Failed  int `json:"failed"`
				Results []struct {
					Row      int    `json:"row"`
					Endpoint string `json:"endpoint"`
					OK       bool   `json:"ok"`
					Error    string `json:"error"`
					PSKKey   string `json:"psk_key"`
				} `json:"results"`
			}
			var rep report
			if err := showAs(a, raw, func(r report) *table {
				rep = r
				t := newTable("ROW", "ENDPOINT", "RESULT", "PSK KEY / ERROR")
				for _, res := range r.Results {
					if res.OK {
						t.add(num(int64(res.Row)), res.Endpoint, "created", res.PSKKey)
					} else {
						t.add(num(int64(res.Row)), res.Endpoint, "failed", res.Error)
					}
				}
				t.add("")
				t.add(fmt.Sprintf("%d created, %d failed", r.Created, r.Failed))
				return t
			}); err != nil {
				return err
			}
			if a.cfg.Output == "json" {
				_ = json.Unmarshal(raw, &rep)
			}
			if rep.Failed > 0 {
				return fmt.Errorf("%d of %d rows failed", rep.Failed, rep.Failed+rep.Created)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv or json (default: from the file name or content)")
	return cmd
}
