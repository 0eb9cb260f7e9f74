package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

var (
	customerCols = []col{{"ID", "id"}, {"NAME", "name"}, {"DESCRIPTION", "description"}, {"UPDATED", "updated_at"}}
	customerKeys = []string{"id", "name", "description", "created_at", "updated_at"}
	userCols     = []col{{"ID", "id"}, {"EMAIL", "email"}, {"NAME", "name"}, {"ROLE", "role"}, {"CUSTOMER", "customer_id"}, {"DISABLED", "disabled"}}
	userKeys     = []string{"id", "email", "name", "role", "customer_id", "disabled", "created_at", "updated_at"}
	tokenCols    = []col{{"ID", "id"}, {"NAME", "name"}, {"PREFIX", "prefix"}, {"ROLE", "role"}, {"CUSTOMER", "customer_id"},
		{"EXPIRES", "expires_at"}, {"REVOKED", "revoked"}, {"LAST USED", "last_used_at"}}
	tokenKeys = []string{"id", "name", "prefix", "role", "customer_id", "user_id", "expires_at", "revoked", "revoked_at", "last_used_at", "created_at"}
	auditCols = []col{{"ID", "id"}, {"TIME", "time"}, {"ACTOR", "actor"}, {"OPERATION", "operation"}, {"METHOD", "method"},
		{"PATH", "path"}, {"STATUS", "status"}, {"OUTCOME", "outcome"}, {"DETAIL", "detail"}}
)

// tenancyCmds are the customers, users, tokens and audit commands.
func (a *app) tenancyCmds() []*cobra.Command {
	return []*cobra.Command{a.customersCmd(), a.usersCmd(), a.tokensCmd(), a.auditCmd()}
}

func (a *app) customersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "customers", Aliases: []string{"customer"}, Short: "Manage customers and which devices they own", RunE: groupRun}
	const base = "/api/v1/customers"
	var lf listFlags
	list := &cobra.Command{Use: "list", Short: "List customers", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		lf.query(q)
		return a.list(cmd.Context(), base, q, customerCols)
	}}
	lf.add(list)
	get := &cobra.Command{Use: "get <name|id>", Short: "Show a customer", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), customerKeys)
	}}
	var desc, name string
	create := &cobra.Command{Use: "create <name>", Short: "Create a customer", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.write(cmd.Context(), http.MethodPost, base, map[string]any{"name": args[0], "description": desc}, "", customerKeys)
	}}
	create.Flags().StringVar(&desc, "description", "", "what the customer is")
	update := &cobra.Command{Use: "update <name|id>", Short: "Rename or redescribe a customer", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		body := map[string]any{}
		setIf(cmd, body, "name", "name", name)
		setIf(cmd, body, "description", "description", desc)
		return a.write(cmd.Context(), http.MethodPatch, base+"/"+esc(args[0]), body, "", customerKeys)
	}}
	update.Flags().StringVar(&name, "name", "", "new name")
	update.Flags().StringVar(&desc, "description", "", "new description")
	del := &cobra.Command{Use: "delete <name|id>", Short: "Delete a customer that owns nothing", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted customer "+args[0])
	}}
	assign := &cobra.Command{Use: "assign <customer> <endpoint>", Short: "Give a device to a customer", Args: exactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
		return a.write(cmd.Context(), http.MethodPut, base+"/"+esc(args[0])+"/devices/"+esc(args[1]), nil, "", []string{"endpoint", "customer_id", "status"})
	}}
	unassign := &cobra.Command{Use: "unassign <customer> <endpoint>", Short: "Take a device away from its customer", Args: exactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
		return a.write(cmd.Context(), http.MethodDelete, base+"/"+esc(args[0])+"/devices/"+esc(args[1]), nil, "", []string{"endpoint", "customer_id", "status"})
	}}
	cmd.AddCommand(list, get, create, update, del, assign, unassign)
	return cmd
}

func (a *app) usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Aliases: []string{"user"}, Short: "Manage users (admin)", RunE: groupRun}
	const base = "/api/v1/users"
	var lf listFlags
	var customer, name, role string
	var disabled bool
	list := &cobra.Command{Use: "list", Short: "List users", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setQ(q, "customer", customer)
		lf.query(q)
		return a.list(cmd.Context(), base, q, userCols)
	}}
	lf.add(list)
	list.Flags().StringVar(&customer, "customer", "", "customer id")
	get := &cobra.Command{Use: "get <id>", Short: "Show a user", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), userKeys)
	}}
	create := &cobra.Command{Use: "create <email>", Short: "Create a user", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		body := map[string]any{"email": args[0], "role": role, "name": name, "disabled": disabled}
		if customer != "" {
			body["customer"] = customer
		}
		return a.write(cmd.Context(), http.MethodPost, base, body, "", userKeys)
	}}
	update := &cobra.Command{Use: "update <id>", Short: "Change a user's name, role, customer or disabled flag", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		body := map[string]any{}
		setIf(cmd, body, "name", "name", name)
		setIf(cmd, body, "role", "role", role)
		setIf(cmd, body, "customer", "customer", customer)
		setIf(cmd, body, "disabled", "disabled", disabled)
		return a.write(cmd.Context(), http.MethodPatch, base+"/"+esc(args[0]), body, "", userKeys)
	}}
	for _, c := range []*cobra.Command{create, update} {
		c.Flags().StringVar(&name, "name", "", "display name")
		c.Flags().StringVar(&role, "role", "", "admin, operator or customer")
		c.Flags().StringVar(&customer, "customer", "", "customer name or id (the customer role)")
		c.Flags().BoolVar(&disabled, "disabled", false, "its tokens are refused while set")
	}
	del := &cobra.Command{Use: "delete <id>", Short: "Delete a user and its tokens", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "deleted user "+args[0])
	}}
	cmd.AddCommand(list, get, create, update, del)
	return cmd
}

func (a *app) tokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Aliases: []string{"token"}, Short: "Manage API tokens (admin); secrets are shown once, at creation", RunE: groupRun}
	const base = "/api/v1/tokens"
	var lf listFlags
	var revoked bool
	var user, customer, role, expiresIn, expiresAt string
	list := &cobra.Command{Use: "list", Short: "List tokens (never their secrets)", Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setQ(q, "user", user)
		setQ(q, "customer", customer)
		if revoked {
			q.Set("revoked", "true")
		}
		lf.query(q)
		return a.list(cmd.Context(), base, q, tokenCols)
	}}
	lf.add(list)
	list.Flags().BoolVar(&revoked, "revoked", false, "include revoked tokens")
	list.Flags().StringVar(&user, "user", "", "user id")
	list.Flags().StringVar(&customer, "customer", "", "customer id")
	get := &cobra.Command{Use: "get <id>", Short: "Show a token", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.get(cmd.Context(), base+"/"+esc(args[0]), tokenKeys)
	}}
	create := &cobra.Command{Use: "create <name>", Short: "Create a token and print its secret, this once", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		body := map[string]any{"name": args[0], "role": role}
		if customer != "" {
			body["customer"] = customer
		}
		if user != "" {
			n, err := strconv.ParseInt(user, 10, 64)
			if err != nil || n <= 0 {
				return usageError{fmt.Errorf("--user %q is not a user id", user)}
			}
			body["user_id"] = n
		}
		setB(body, "expires_in", expiresIn)
		setB(body, "expires_at", expiresAt)
		return a.write(cmd.Context(), http.MethodPost, base, body, "token", tokenKeys)
	}}
	create.Flags().StringVar(&role, "role", "", "admin, operator or customer")
	create.Flags().StringVar(&customer, "customer", "", "customer name or id (the customer role)")
	create.Flags().StringVar(&user, "user", "", "user id: the token follows the user's role and customer")
	create.Flags().StringVar(&expiresIn, "expires-in", "", "lifetime, e.g. 720h")
	create.Flags().StringVar(&expiresAt, "expires-at", "", "expiry, RFC 3339")
	revoke := &cobra.Command{Use: "revoke <id>", Short: "Revoke a token: refused from the next request on", Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		return a.remove(cmd.Context(), base+"/"+esc(args[0]), nil, "revoked token "+args[0])
	}}
	cmd.AddCommand(list, get, create, revoke)
	return cmd
}

func (a *app) auditCmd() *cobra.Command {
	var lf listFlags
	var token, customer, outcome, from, to string
	cmd := &cobra.Command{Use: "audit", Short: "Show the audit log of state-changing API calls, newest first (admin)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setQ(q, "token", token)
			setQ(q, "customer", customer)
			setQ(q, "outcome", outcome)
			setQ(q, "from", from)
			setQ(q, "to", to)
			lf.query(q)
			return a.list(cmd.Context(), "/api/v1/audit", q, auditCols)
		}}
	lf.add(cmd)
	f := cmd.Flags()
	f.StringVar(&token, "token", "", "token id")
	f.StringVar(&customer, "customer", "", "customer id")
	f.StringVar(&outcome, "outcome", "", "success or failure")
	f.StringVar(&from, "from", "", "RFC 3339, Unix seconds or -1h")
	f.StringVar(&to, "to", "", "RFC 3339, Unix seconds or -1h")
	return cmd
}
