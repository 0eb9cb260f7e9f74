package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

var (
	bsConfigCols  = []col{{"ID", "id"}, {"NAME", "name"}, {"SCOPE", "scope"}, {"SECURITY", "spec.security"}, {"SERVERS", "spec.servers"}, {"UPDATED", "updated_at"}}
	bsConfigKeys  = []string{"id", "name", "scope", "device_id", "profile_id", "account_id", "spec", "created_at", "updated_at"}
	bsAccountCols = []col{{"ID", "id"}, {"NAME", "name"}, {"PROFILE", "profile_id"}, {"CUSTOMER", "customer_id"}, {"AUTO-PROVISION", "auto_provision"}}
	bsAccountKeys = []string{"id", "name", "profile_id", "customer_id", "auto_provision", "created_at", "updated_at"}
	factoryCols   = []col{{"ID", "id"}, {"MODE", "mode"}, {"ACCOUNT", "account_id"}, {"DEVICE", "device_id"}, {"PSK IDENTITY", "psk_identity"},
		{"FINGERPRINT", "fingerprint"}, {"STATE", "state"}}
	factoryKeys = []string{"id", "mode", "account_id", "device_id", "psk_identity", "fingerprint", "state", "created_at", "revoked_at"}
	sessionCols = []col{{"ID", "id"}, {"ENDPOINT", "endpoint"}, {"STATE", "state"}, {"STEP", "step"}, {"PATH", "path"},
		{"CODE", "device_code"}, {"VERSION", "version"}, {"STARTED", "started_at"}, {"ERROR", "error"}}
)

// bootstrapCmds are issue 8's commands: bootstrap, credentials and ca.
func (a *app) bootstrapCmds() []*cobra.Command {
	return []*cobra.Command{a.bootstrapCmd(), a.credentialsCmd(), a.caCmd()}
}

func (a *app) bootstrapCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bootstrap", Short: "Bootstrap configurations, accounts, factory credentials, sessions and triggers", RunE: groupRun}
	cmd.AddCommand(a.bsConfigsCmd(), a.bsAccountsCmd(), a.factoryCmd(), a.sessionsCmd(), a.triggerCmd(), a.unbindCmd())
	return cmd
}

// readBody reads a JSON object from -f (a file, or - for stdin).
func (a *app) readBody(file string) (map[string]any, error) {
	body := map[string]any{}
	if file == "" {
		return body, nil
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(a.in)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, usageError{err}
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, usageError{fmt.Errorf("%s: not a JSON object: %v", file, err)}
	}
	return body, nil
}

// configFlags build a bootstrap configuration from flags (on top of -f).
type configFlags struct {
	file, device, profile, account, security, binding string
	isDefault, queue, storing                         bool
	servers                                           []string
	pskBits                                           int
	validity, lifetime, pmin, pmax, warning, rotate   time.Duration
}

func (f *configFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "configuration JSON ({\"name\", \"device\"|\"profile\"|\"account\"|\"default\", \"spec\"}); - reads stdin")
	fl.StringVar(&f.device, "device", "", "applies to this endpoint")
	fl.StringVar(&f.profile, "profile", "", "applies to this profile's devices")
	fl.StringVar(&f.account, "account", "", "applies to this bootstrap account's devices")
	fl.BoolVar(&f.isDefault, "default", false, "applies to every device nothing else covers")
	fl.StringVar(&f.security, "security", "psk", "psk, x509 or nosec")
	fl.StringSliceVar(&f.servers, "server", []string{"1"}, "management server SSID[=URI] (repeatable; no URI: Shoal itself)")
	fl.IntVar(&f.pskBits, "psk-bits", 0, "issued PSK length: 128 or 256")
	fl.DurationVar(&f.validity, "cert-validity", 0, "issued certificate validity (default 8760h)")
	fl.DurationVar(&f.lifetime, "lifetime", 0, "registration lifetime (default 86400s)")
	fl.StringVar(&f.binding, "binding", "", "binding (default U)")
	fl.BoolVar(&f.queue, "queue-mode", false, "queue mode (binding UQ for 1.0 devices)")
	fl.DurationVar(&f.pmin, "pmin", 0, "default minimum notification period")
	fl.DurationVar(&f.pmax, "pmax", 0, "default maximum notification period")
	fl.BoolVar(&f.storing, "notification-storing", false, "store notifications while offline")
	fl.DurationVar(&f.warning, "expiry-warning", 0, "announce certificate expiry this long before (default 720h)")
	fl.DurationVar(&f.rotate, "auto-rotate-before", 0, "rotate certificates automatically this long before expiry")
}

func (f *configFlags) body(a *app, cmd *cobra.Command, name string) (map[string]any, error) {
	body, err := a.readBody(f.file)
	if err != nil {
		return nil, err
	}
	if name != "" {
		body["name"] = name
	}
	for flag, key := range map[string]string{"device": "device", "profile": "profile", "account": "account"} {
		if cmd.Flags().Changed(flag) {
			body[key] = cmd.Flags().Lookup(flag).Value.String()
		}
	}
	if f.isDefault {
		body["default"] = true
	}
	if _, given := body["spec"]; given && f.file != "" {
		return body, nil
	}
	spec := map[string]any{"security": f.security}
	var servers []map[string]any
	for _, s := range f.servers {
		id, uri, _ := strings.Cut(s, "=")
		var ssid int
		if _, err := fmt.Sscan(id, &ssid); err != nil {
			return nil, usageError{fmt.Errorf("--server %q: want SSID or SSID=URI", s)}
		}
		sv := map[string]any{"short_server_id": ssid}
		if uri != "" {
			sv["uri"] = uri
		}
		servers = append(servers, sv)
	}
	spec["servers"] = servers
	for k, d := range map[string]time.Duration{"cert_validity": f.validity, "lifetime": f.lifetime, "default_pmin": f.pmin,
		"default_pmax": f.pmax, "expiry_warning": f.warning, "auto_rotate_before": f.rotate} {
		if d != 0 {
			spec[k] = d.String()
		}
	}
	if f.pskBits != 0 {
		spec["psk_bits"] = f.pskBits
	}
	if f.binding != "" {
		spec["binding"] = f.binding
	}
	spec["queue_mode"], spec["notification_storing"] = f.queue, f.storing
	body["spec"] = spec
	return body, nil
}

func (a *app) bsConfigsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "configs", Aliases: []string{"config"}, Short: "Bootstrap configurations: which servers and credentials a device gets", RunE: groupRun}
	const base = "/api/v1/bootstrap/configs"
	var lf listFlags
	list := &cobra.Command{Use: "list", Short: "List bootstrap configurations", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		lf.query(q)
		return a.list(cmd.Context(), base, q, bsConfigCols)
	}}
	lf.add(list)
	get := &cobra.Command{Use: "get <name|id>", Short: "Show a bootstrap configuration", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), bsConfigKeys)
	}}
	var cf, uf configFlags
	create := &cobra.Command{Use: "create <name>", Short: "Create a bootstrap configuration from flags or -f file.json", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := cf.body(a, cmd, args[0])
			if err != nil {
				return err
			}
			return a.write(cmd.Context(), http.MethodPost, base, body, "", bsConfigKeys)
		}}
	cf.add(create)
	update := &cobra.Command{Use: "update <name|id>", Short: "Replace a bootstrap configuration (flags or -f file.json)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if !isNumber(args[0]) {
				name = args[0]
			}
			body, err := uf.body(a, cmd, name)
			if err != nil {
				return err
			}
			return a.write(cmd.Context(), http.MethodPut, base+"/"+esc(args[0]), body, "", bsConfigKeys)
		}}
	uf.add(update)
	del := &cobra.Command{Use: "delete <name|id>", Short: "Delete a bootstrap configuration", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted bootstrap configuration "+args[0])
	}}
	cmd.AddCommand(list, get, create, update, del)
	return cmd
}

func (a *app) bsAccountsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "accounts", Aliases: []string{"account"}, Short: "Bootstrap accounts: device batches sharing factory credentials", RunE: groupRun}
	const base = "/api/v1/bootstrap/accounts"
	var lf listFlags
	list := &cobra.Command{Use: "list", Short: "List bootstrap accounts", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		lf.query(q)
		return a.list(cmd.Context(), base, q, bsAccountCols)
	}}
	lf.add(list)
	get := &cobra.Command{Use: "get <name|id>", Short: "Show a bootstrap account", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), bsAccountKeys)
	}}
	var profile, customer string
	var auto bool
	body := func(name string) map[string]any {
		return map[string]any{"name": name, "profile": profile, "customer": customer, "auto_provision": auto}
	}
	create := &cobra.Command{Use: "create <name>", Short: "Create a bootstrap account", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.write(cmd.Context(), http.MethodPost, base, body(args[0]), "", bsAccountKeys)
	}}
	update := &cobra.Command{Use: "update <name|id> <name>", Short: "Replace a bootstrap account's settings", Args: exactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
		return a.write(cmd.Context(), http.MethodPut, base+"/"+esc(args[0]), body(args[1]), "", bsAccountKeys)
	}}
	for _, c := range []*cobra.Command{create, update} {
		c.Flags().StringVar(&profile, "profile", "", "profile of auto-provisioned devices")
		c.Flags().StringVar(&customer, "customer", "", "customer of auto-provisioned devices")
		c.Flags().BoolVar(&auto, "auto-provision", false, "create unknown endpoints that present valid factory credentials")
	}
	del := &cobra.Command{Use: "delete <name|id>", Short: "Delete a bootstrap account and its factory credentials", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted bootstrap account "+args[0])
	}}
	cmd.AddCommand(list, get, create, update, del)
	return cmd
}

func (a *app) factoryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "factory", Short: "Factory credentials devices bootstrap with", RunE: groupRun}
	const base = "/api/v1/bootstrap/factory-credentials"
	var lf listFlags
	var account, device string
	list := &cobra.Command{Use: "list", Short: "List factory credentials (never their keys)", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setQ(q, "account", account)
		setQ(q, "device", device)
		lf.query(q)
		return a.list(cmd.Context(), base, q, factoryCols)
	}}
	list.Flags().StringVar(&account, "account", "", "bootstrap account id")
	list.Flags().StringVar(&device, "device", "", "device id")
	lf.add(list)
	var in struct{ device, account, mode, identity, key, certFile string }
	create := &cobra.Command{Use: "create", Short: "Create a factory credential for a device (--device) or a batch (--account); a generated key is shown once",
		Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{"mode": in.mode}
			setB(body, "device", in.device)
			setB(body, "account", in.account)
			setB(body, "psk_identity", in.identity)
			setB(body, "psk_key", in.key)
			if in.certFile != "" {
				b, err := os.ReadFile(in.certFile)
				if err != nil {
					return usageError{err}
				}
				body["certificate"] = string(b)
			}
			return a.write(cmd.Context(), http.MethodPost, base, body, "credential", factoryKeys)
		}}
	cf := create.Flags()
	cf.StringVar(&in.device, "device", "", "endpoint of the device it belongs to")
	cf.StringVar(&in.account, "account", "", "bootstrap account (batch) it belongs to; endpoints bind at first use")
	cf.StringVar(&in.mode, "mode", "psk", "psk, x509 (pinned certificate), x509-ca (batch CA) or nosec")
	cf.StringVar(&in.identity, "psk-identity", "", "PSK identity (generated when empty)")
	cf.StringVar(&in.key, "psk-key", "", "PSK in hex (generated and shown once when empty)")
	cf.StringVar(&in.certFile, "certificate", "", "PEM file: the device's certificate (x509) or the batch CA (x509-ca)")
	revoke := &cobra.Command{Use: "revoke <id>", Short: "Revoke a factory credential", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.write(cmd.Context(), http.MethodDelete, base+"/"+esc(args[0]), nil, "", factoryKeys)
	}}
	cmd.AddCommand(list, create, revoke)
	return cmd
}

func (a *app) sessionsCmd() *cobra.Command {
	var lf listFlags
	var device string
	var states []string
	cmd := &cobra.Command{Use: "sessions", Short: "List bootstrap sessions, newest first (failed ones with the device's code)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setQ(q, "device", device)
			for _, s := range states {
				q.Add("state", s)
			}
			lf.query(q)
			return a.list(cmd.Context(), "/api/v1/bootstrap/sessions", q, sessionCols)
		}}
	cmd.Flags().StringVar(&device, "device", "", "endpoint")
	cmd.Flags().StringSliceVar(&states, "state", nil, "running, finished or failed")
	lf.add(cmd)
	return cmd
}

func (a *app) triggerCmd() *cobra.Command {
	var labels []string
	var profile string
	cmd := &cobra.Command{Use: "trigger [endpoint...]", Short: "Server-initiated bootstrap: execute /1/x/9 on devices (queued until they appear)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && len(labels) == 0 && profile == "" {
				var raw json.RawMessage
				if _, err := a.api.sendJSON(cmd.Context(), http.MethodPost, "/api/v1/devices/"+esc(args[0])+"/bootstrap", nil, nil, &raw); err != nil {
					return err
				}
				return showAs(a, raw, func(r record) *table {
					if r.get("state") != "" {
						return fieldsTable("id", "endpoint", "state", "expires_at")(r)
					}
					return fields("endpoint", args[0], "code", r.get("code"))
				})
			}
			ls, err := labelMap(labels)
			if err != nil {
				return usageError{err}
			}
			sel := map[string]any{}
			if len(args) > 0 {
				sel["endpoints"] = args
			}
			if len(ls) > 0 {
				sel["labels"] = ls
			}
			setB(sel, "profile", profile)
			if len(sel) == 0 {
				return usageError{fmt.Errorf("name endpoints, --label or --profile")}
			}
			var raw json.RawMessage
			if _, err := a.api.sendJSON(cmd.Context(), http.MethodPost, "/api/v1/bootstrap/trigger", nil, map[string]any{"selection": sel}, &raw); err != nil {
				return err
			}
			return showAs(a, raw, rowsTable([]col{{"COMMAND", "id"}, {"ENDPOINT", "endpoint"}, {"STATE", "state"}, {"ERROR", "error"}}))
		}}
	cmd.Flags().StringSliceVar(&labels, "label", nil, "select devices by label k=v (repeatable)")
	cmd.Flags().StringVar(&profile, "profile", "", "select the devices of a profile")
	return cmd
}

func (a *app) unbindCmd() *cobra.Command {
	return &cobra.Command{Use: "unbind <endpoint>", Short: "Forget the factory credential a device bootstrapped with (it binds again next time)",
		Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			return a.remove(cmd.Context(), "/api/v1/devices/"+esc(args[0])+"/bootstrap/binding", nil, "unbound "+args[0])
		}}
}
