package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

var (
	assetCols    = []col{{"ID", "id"}, {"NAME", "name"}, {"TYPE", "type"}, {"CUSTOMER", "customer_id"}, {"LABELS", "labels"}}
	assetKeys    = []string{"id", "name", "type", "customer_id", "labels", "created_at", "updated_at"}
	relationCols = []col{{"FROM", "from.kind"}, {"", "from.id"}, {"NAME", "from.name"}, {"TYPE", "type"}, {"TO", "to.kind"}, {"", "to.id"},
		{"NAME", "to.name"}}
	relDeviceCols = []col{{"ID", "id"}, {"ENDPOINT", "endpoint"}, {"NAME", "name"}, {"STATUS", "status"}, {"CUSTOMER", "customer_id"}}
)

// assetCmds are the assets and relations commands.
func (a *app) assetCmds() []*cobra.Command { return []*cobra.Command{a.assetsCmd(), a.relationsCmd()} }

func (a *app) assetsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "assets", Aliases: []string{"asset"}, Short: "Manage assets (sites, buildings, cabinets…) and see what they contain", RunE: groupRun}
	const base = "/api/v1/assets"
	var lf listFlags
	var typ, customer, name string
	var labels []string
	list := &cobra.Command{Use: "list", Short: "List assets", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setQ(q, "type", typ)
		setQ(q, "customer", customer)
		for _, l := range labels {
			q.Add("label", l)
		}
		lf.query(q)
		return a.list(cmd.Context(), base, q, assetCols)
	}}
	lf.add(list)
	list.Flags().StringVar(&typ, "type", "", "asset type")
	list.Flags().StringVar(&customer, "customer", "", "customer id")
	list.Flags().StringSliceVar(&labels, "label", nil, "name=value (all must match)")
	get := &cobra.Command{Use: "get <id>", Short: "Show an asset", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), assetKeys)
	}}
	body := func(cmd *cobra.Command) (map[string]any, error) {
		b := map[string]any{}
		setIf(cmd, b, "name", "name", name)
		setIf(cmd, b, "type", "type", typ)
		if customer != "" {
			n, err := strconv.ParseInt(customer, 10, 64)
			if err != nil || n < 0 {
				return nil, usageError{fmt.Errorf("--customer %q is not a customer id", customer)}
			}
			b["customer"] = n
		}
		if cmd.Flags().Changed("label") {
			ls, err := labelMap(labels)
			if err != nil {
				return nil, err
			}
			if ls == nil {
				ls = map[string]string{}
			}
			b["labels"] = ls
		}
		return b, nil
	}
	create := &cobra.Command{Use: "create <name>", Short: "Create an asset", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		b, err := body(cmd)
		if err != nil {
			return err
		}
		b["name"] = args[0]
		return a.write(cmd.Context(), http.MethodPost, base, b, "", assetKeys)
	}}
	update := &cobra.Command{Use: "update <id>", Short: "Change an asset (--label replaces all labels)", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		b, err := body(cmd)
		if err != nil {
			return err
		}
		return a.write(cmd.Context(), http.MethodPatch, base+"/"+esc(args[0]), b, "", assetKeys)
	}}
	for _, c := range []*cobra.Command{create, update} {
		c.Flags().StringVar(&typ, "type", "", "site, building, floor, cabinet…")
		c.Flags().StringVar(&customer, "customer", "", "customer id (0: none)")
		c.Flags().StringSliceVarP(&labels, "label", "l", nil, "name=value")
	}
	update.Flags().StringVar(&name, "name", "", "new name")
	del := &cobra.Command{Use: "delete <id>", Short: "Delete an asset and its relations", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted asset "+args[0])
	}}
	var dlf listFlags
	devices := &cobra.Command{Use: "devices <id>", Short: "The devices the asset contains, through the assets it contains", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			dlf.query(q)
			return a.list(cmd.Context(), base+"/"+esc(args[0])+"/devices", q, relDeviceCols)
		}}
	dlf.add(devices)
	rels := &cobra.Command{Use: "relations <id>", Short: "The relations from and to the asset", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.list(cmd.Context(), base+"/"+esc(args[0])+"/relations", nil, relationCols)
	}}
	cmd.AddCommand(list, get, create, update, del, devices, rels)
	return cmd
}

// entityText checks "asset:<id>" or "device:<endpoint>".
func entityText(s string) error {
	kind, v, ok := strings.Cut(s, ":")
	if !ok || v == "" || kind != "asset" && kind != "device" {
		return usageError{fmt.Errorf("%q is not asset:<id> or device:<endpoint>", s)}
	}
	return nil
}

func (a *app) relationsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "relations", Aliases: []string{"relation"}, Short: "Relate devices and assets (\"contains\" builds the asset hierarchy)", RunE: groupRun}
	create := &cobra.Command{Use: "create <from> <type> <to>", Short: "Relate two entities, e.g. create asset:3 contains device:meter-1", Args: exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, e := range []string{args[0], args[2]} {
				if err := entityText(e); err != nil {
					return err
				}
			}
			return a.write(cmd.Context(), http.MethodPost, "/api/v1/relations", map[string]any{"from": args[0], "type": args[1], "to": args[2]}, "",
				[]string{"from.kind", "from.id", "from.name", "type", "to.kind", "to.id", "to.name"})
		}}
	del := &cobra.Command{Use: "delete <from> <type> <to>", Short: "Delete a relation", Args: exactArgs(3), RunE: func(cmd *cobra.Command, args []string) error {
		for _, e := range []string{args[0], args[2]} {
			if err := entityText(e); err != nil {
				return err
			}
		}
		q := url.Values{"from": {args[0]}, "type": {args[1]}, "to": {args[2]}}
		return a.remove(cmd.Context(), "/api/v1/relations", q, "deleted relation "+strings.Join(args, " "))
	}}
	list := &cobra.Command{Use: "list <asset:id|device:endpoint>", Short: "What a device or asset is related to", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := entityText(args[0]); err != nil {
				return err
			}
			kind, v, _ := strings.Cut(args[0], ":")
			path := "/api/v1/assets/" + esc(v) + "/relations"
			if kind == "device" {
				path = "/api/v1/devices/" + esc(v) + "/relations"
			}
			return a.list(cmd.Context(), path, nil, relationCols)
		}}
	cmd.AddCommand(create, del, list)
	return cmd
}
